//! The split-brain guard before a start (SPEC 12).

use crate::error::{Error, Result};
use crate::host::Host;
use crate::logger::{Level, Logger};
use crate::model::Service;
use crate::nodes::ask::{other_nodes, Answers, Word};

/// The split-brain guard (SPEC 12), before any start: every other node of
/// the service is asked. Fail-closed: a node that says the service runs
/// there is a refusal (stop it there first, or switch); a node that can
/// not be asked, or a start on a disaster recovery node, needs `--force`,
/// an operator's decision.
pub fn guard(
    ctx: &Host,
    svc: &Service,
    force: bool,
    log: &Logger,
    asked: Option<Answers>,
) -> Result<()> {
    let path = svc.path.to_string();
    let here = ctx.node.as_str();
    if svc.drp_only(here) && !force {
        return Err(Error::Failed(format!(
            "{path}: {here} is a disaster recovery node of the service (drpnodes): a start here is an operator's decision, made with --force"
        )));
    }
    if !svc
        .all_nodes()
        .iter()
        .any(|n| crate::nodename::is_local(n, here))
    {
        return Err(Error::Failed(format!(
            "{path}: {here} is not a node of the service (nodes: {}): not started here",
            svc.all_nodes().join(" ")
        )));
    }
    let asked = match asked {
        Some(a) => a,
        None => other_nodes(ctx, svc)?,
    };
    for (node, word) in asked {
        let unknown = match word {
            Word::Runs { .. } => {
                return Err(Error::Failed(format!(
                    "{path}: up on {node}: not started here (it would run on two nodes); stop it there first"
                )))
            }
            Word::Not | Word::Absent => continue,
            Word::Unknown(why) => why,
        };
        if !force {
            return Err(Error::Failed(format!(
                "{path}: {node} can not tell whether the service runs there ({unknown}): --force to start anyway"
            )));
        }
        log.svc(
            Level::Warn,
            &format!("{node} can not tell whether the service runs there ({unknown}): started anyway (--force)"),
        );
    }
    Ok(())
}
