//! `om PATH pacemaker config` prints what the service means to Pacemaker;
//! `om PATH pacemaker apply` loads it with Pacemaker's own `cibadmin`,
//! idempotently: the CIB's objects are compared with om's first, and only
//! what differs is written (a second apply writes nothing, the CIB's epoch
//! stays). What others wrote into the primitive (`crm_resource --meta`'s
//! target-role, is-managed, in their own set) is left alone.

use super::cib::{self, Site};
use super::crm;
use super::xml::{self, Element};
use crate::action::log::service_log;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::logger::Level;
use crate::model::Service;
use crate::output::each;
use crate::paths::SvcPath;

/// What the host and the command line say the primitive needs beyond
/// the config.
pub fn site(ctx: &Host, args: &crate::cli::PacemakerArgs) -> Site {
    let system = crate::paths::Roots::system();
    let root = (ctx.roots.etc != system.etc)
        .then(|| ctx.roots.etc.parent().map(|p| p.display().to_string()))
        .flatten();
    Site {
        root,
        om: args.om.clone(),
        allow_no_fencing: args.allow_no_fencing,
        docker_bound: ctx.docker.bound,
    }
}

/// The service at `path`, which must be Pacemaker's.
fn ha_service(ctx: &Host, path: &SvcPath) -> Result<Service> {
    let read = crate::action::load::ConfigRead::of(path, ctx)?;
    let svc = read.load()?;
    if !super::is_pacemakers(&svc) {
        return Err(Error::Failed(format!(
            "{path}: orchestrate is not ha: Pacemaker does not run it (om {path} set --kw orchestrate=ha first)"
        )));
    }
    Ok(svc)
}

/// `om SEL pacemaker config`.
pub fn config(ctx: &Host, selector: &str, site: &Site) -> Result<()> {
    let paths = ctx.select(selector)?;
    each(&paths, |path| {
        let svc = ha_service(ctx, path)?;
        crate::output::out(&cib::configuration(&svc, site).to_xml())
    })
}

/// One write to the CIB.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// `cibadmin --modify --allow-create --scope configuration`: creates
    /// what is missing, both objects at once (a constraint can not name a
    /// resource that does not exist yet), and sets attributes.
    Merge(Element),
    /// `cibadmin --replace --scope SCOPE`: the object with this id, whole
    /// (a rule or a param that is no longer om's goes).
    Replace(&'static str, Element),
}

impl Step {
    pub fn cmd(&self, ctx: &Host) -> crate::process::Cmd {
        let (verb, scope, e) = match self {
            Step::Merge(e) => ("--modify", "configuration", e),
            Step::Replace(scope, e) => ("--replace", *scope, e),
        };
        let mut args = vec![verb];
        if matches!(self, Step::Merge(_)) {
            args.push("--allow-create");
        }
        let text = e.to_line();
        args.extend(["--scope", scope, "--xml-text", &text]);
        crm::cmd(ctx, "cibadmin", &args)
    }
}

fn by_id<'e>(within: &'e Element, name: &str, id: &str) -> Option<&'e Element> {
    within
        .find_all(name)
        .into_iter()
        .find(|e| e.attr("id") == Some(id))
}

/// The writes that make the CIB's `configuration` (`live`) say `want`
/// (`cib::configuration`); none when it says it already.
pub fn plan(live: &Element, want: &Element) -> Vec<Step> {
    let (Some(want_p), Some(want_l)) = (
        want.find_all("primitive").first().copied(),
        want.find_all("rsc_location").first().copied(),
    ) else {
        return Vec::new();
    };
    let id = |e: &Element| e.attr("id").unwrap_or_default().to_string();
    let live_p = by_id(live, "primitive", &id(want_p));
    let live_l = by_id(live, "rsc_location", &id(want_l));
    let mut steps = Vec::new();
    // the primitive's own attributes and om's children: the ones others
    // added (crm_resource --meta's set) are not om's to compare
    let head = |e: &Element| Element {
        children: Vec::new(),
        ..e.clone()
    };
    let missing = |p: &Element| {
        want_p.children.iter().any(|c| {
            !p.children
                .iter()
                .any(|l| id(l) == id(c) && l.name == c.name)
        })
    };
    let merge = match live_p {
        None => true,
        Some(p) => !head(p).same(&head(want_p)) || missing(p),
    };
    if merge || live_l.is_none() {
        steps.push(Step::Merge(want.clone()));
    }
    if let Some(p) = live_p {
        for c in &want_p.children {
            let live_c = p
                .children
                .iter()
                .find(|l| id(l) == id(c) && l.name == c.name);
            if live_c.is_some_and(|l| !l.same(c)) {
                steps.push(Step::Replace("resources", c.clone()));
            }
        }
    }
    if live_l.is_some_and(|l| !l.same(want_l)) {
        steps.push(Step::Replace("constraints", want_l.clone()));
    }
    steps
}

/// `om SEL pacemaker apply`.
pub fn apply(ctx: &Host, selector: &str, site: &Site, dry_run: bool) -> Result<()> {
    let paths = ctx.select(selector)?;
    each(&paths, |path| {
        let svc = ha_service(ctx, path)?;
        let want = cib::configuration(&svc, site);
        let q = crm::cmd(ctx, "cibadmin", &["--query", "--scope", "configuration"]);
        let text = crm::query(&q)?
            .ok_or_else(|| Error::call(&q, "the CIB has no configuration section"))?;
        let live = xml::parse(&text).map_err(|e| Error::call(&q, e))?;
        let log = service_log(ctx, path, false);
        let steps = plan(&live, &want);
        let rsc = cib::resource_id(path);
        if steps.is_empty() {
            log.svc(
                Level::Info,
                &format!("{rsc}: the CIB says it already: unchanged"),
            );
            return Ok(());
        }
        for step in &steps {
            let cmd = step.cmd(ctx);
            log.svc(Level::Info, &cmd.to_string());
            if !dry_run {
                crm::run(&cmd, crm::BOUND)?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want() -> Element {
        let p = Element::new("primitive", &[("id", "om-a"), ("class", "ocf")])
            .child(
                Element::new("meta_attributes", &[("id", "om-a-meta")]).child(Element::new(
                    "nvpair",
                    &[("id", "om-a-meta-x"), ("name", "x"), ("value", "1")],
                )),
            )
            .child(Element::new("operations", &[("id", "om-a-operations")]));
        let l = Element::new("rsc_location", &[("id", "om-a-placement"), ("rsc", "om-a")])
            .child(Element::new("rule", &[("id", "r1"), ("score", "100")]));
        Element::new("configuration", &[])
            .child(Element::new("resources", &[]).child(p))
            .child(Element::new("constraints", &[]).child(l))
    }

    fn live(want: &Element) -> Element {
        xml::parse(&format!(
            "<configuration><crm_config/><nodes/>{}</configuration>",
            want.children
                .iter()
                .map(Element::to_xml)
                .collect::<String>()
        ))
        .unwrap()
    }

    #[test]
    fn an_empty_cib_gets_both_objects_at_once() {
        let empty =
            xml::parse("<configuration><resources/><constraints/></configuration>").unwrap();
        assert_eq!(plan(&empty, &want()), vec![Step::Merge(want())]);
    }

    #[test]
    fn a_cib_that_says_it_already_is_left_alone() {
        let w = want();
        let mut l = live(&w);
        assert_eq!(plan(&l, &w), vec![]);
        // crm_resource --meta's own set (target-role) is not om's
        let p = &mut l.children[2].children[0];
        p.children.push(
            Element::new("meta_attributes", &[("id", "om-a-meta_attributes")]).child(Element::new(
                "nvpair",
                &[("id", "t"), ("name", "target-role"), ("value", "Stopped")],
            )),
        );
        // attributes in another order say the same
        p.attrs.reverse();
        assert_eq!(plan(&l, &w), vec![]);
    }

    #[test]
    fn what_differs_is_replaced_whole() {
        let w = want();
        let mut l = live(&w);
        // a value changed in om's meta set, a stale rule in the placement
        l.children[2].children[0].children[0].children[0].attrs[2].1 = "2".into();
        l.children[3].children[0].children.push(Element::new(
            "rule",
            &[("id", "r2"), ("score", "-INFINITY")],
        ));
        let steps = plan(&l, &w);
        assert_eq!(
            steps,
            vec![
                Step::Replace("resources", w.children[0].children[0].children[0].clone()),
                Step::Replace("constraints", w.children[1].children[0].clone()),
            ]
        );
        let ctx = Host::for_test(crate::paths::Roots::system(), "n1");
        assert_eq!(
            steps[1].cmd(&ctx).to_string(),
            "cibadmin --replace --scope constraints --xml-text '<rsc_location id=\"om-a-placement\" rsc=\"om-a\"><rule id=\"r1\" score=\"100\"/></rsc_location>'"
        );
    }

    #[test]
    fn a_placement_deleted_by_hand_is_created_again() {
        let w = want();
        let mut l = live(&w);
        l.children[3].children.clear();
        assert_eq!(plan(&l, &w), vec![Step::Merge(w)]);
    }
}
