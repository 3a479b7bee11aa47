//! Pacemaker's view of a service's resource (SPEC 18): managed or not,
//! its role and target role, where it runs, where an operator's move or ban
//! sends it, its fail counts by node. Read from `crm_mon --output-as=xml`
//! and the CIB's constraints; a query that fails is said as such, never
//! read as "stopped".

use super::crm;
use super::xml::{self, Element};
use crate::error::{Error, Result};
use crate::host::Host;
use serde::Serialize;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FailCount {
    pub node: String,
    /// A number, or INFINITY (a failed start).
    pub count: String,
}

/// What Pacemaker says of one resource.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct View {
    pub resource: String,
    /// Why Pacemaker could not be asked; the other fields then say nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Pacemaker has the resource (`om PATH pacemaker apply` made it).
    pub configured: bool,
    pub managed: bool,
    /// `Started`, `Stopped`…: what it is.
    pub role: String,
    /// What it is asked to be (`start`/`stop` set it); none: Started.
    pub target_role: Option<String>,
    pub running_on: Vec<String>,
    pub failed: bool,
    /// Where a move (`switch`, `crm_resource --move`) sends it.
    pub moved_to: Option<String>,
    /// Where a ban (`crm_resource --ban`) keeps it off.
    pub banned_from: Vec<String>,
    pub fail_counts: Vec<FailCount>,
}

impl View {
    /// The view when Pacemaker could not be asked.
    pub fn unknown(resource: &str, why: &Error) -> View {
        View {
            resource: resource.into(),
            error: Some(why.to_string()),
            ..Default::default()
        }
    }

    /// Whether Pacemaker is asked to run it: a target role other than Stopped.
    pub fn wanted(&self) -> bool {
        self.target_role.as_deref().is_none_or(|r| r != "Stopped")
    }

    /// One line for a log: `pacemaker: ` and the summary.
    pub fn line(&self) -> String {
        format!("pacemaker: {}", self.summary())
    }

    /// What Pacemaker says, in a few words: the status tree's line.
    pub fn summary(&self) -> String {
        if let Some(e) = &self.error {
            return format!("can not be asked: {e}");
        }
        if !self.configured {
            return format!("no resource {} (om PATH pacemaker apply)", self.resource);
        }
        let mut words = vec![if self.managed { "managed" } else { "unmanaged" }.to_string()];
        let want = self.target_role.as_deref().unwrap_or("Started");
        words.push(format!("target {want}"));
        match self.running_on.as_slice() {
            [] => words.push(self.role.to_lowercase()),
            on => words.push(format!(
                "{} on {}",
                self.role.to_lowercase(),
                on.join(" and ")
            )),
        }
        if self.failed {
            words.push("failed".into());
        }
        if let Some(n) = &self.moved_to {
            words.push(format!("moved to {n}"));
        }
        if !self.banned_from.is_empty() {
            words.push(format!("banned from {}", self.banned_from.join(" ")));
        }
        let counts: Vec<String> = self
            .fail_counts
            .iter()
            .map(|f| format!("{}={}", f.node, f.count))
            .collect();
        if !counts.is_empty() {
            words.push(format!("fail counts {}", counts.join(" ")));
        }
        format!("{} ({})", words.join(", "), self.resource)
    }
}

/// Pacemaker's view of each of `resources`, from one crm_mon and one
/// constraints query; a failed query is every view's error.
pub fn ask(ctx: &Host, resources: &[String]) -> Vec<View> {
    match documents(ctx) {
        Ok((mon, constraints)) => resources
            .iter()
            .map(|r| read(&mon, &constraints, r))
            .collect(),
        Err(e) => resources.iter().map(|r| View::unknown(r, &e)).collect(),
    }
}

/// One resource's view, its failure an error.
pub fn ask_one(ctx: &Host, resource: &str) -> Result<View> {
    let (mon, constraints) = documents(ctx)?;
    Ok(read(&mon, &constraints, resource))
}

fn documents(ctx: &Host) -> Result<(Element, Element)> {
    let mon = crm::cmd(
        ctx,
        "crm_mon",
        &["--one-shot", "--output-as=xml", "--include=all"],
    );
    let text = crm::run(&mon, crm::BOUND)?.stdout;
    let mon_doc = xml::parse(&text).map_err(|e| Error::call(&mon, e))?;
    // crm_mon exits 0 with an <errors> list when it could not reach the
    // CIB: that is no word on any resource
    if let Some(e) = mon_doc.find_all("error").first() {
        return Err(Error::call(&mon, &e.text));
    }
    if mon_doc.find_all("summary").is_empty() {
        return Err(Error::call(&mon, "no summary of the cluster in its answer"));
    }
    let q = crm::cmd(ctx, "cibadmin", &["--query", "--scope", "constraints"]);
    let constraints = match crm::query(&q)? {
        Some(text) => xml::parse(&text).map_err(|e| Error::call(&q, e))?,
        None => Element::new("constraints", &[]),
    };
    Ok((mon_doc, constraints))
}

/// The view of `resource` in crm_mon's document and the constraints.
pub fn read(mon: &Element, constraints: &Element, resource: &str) -> View {
    let mut view = View {
        resource: resource.into(),
        ..Default::default()
    };
    let Some(r) = mon
        .find_all("resource")
        .into_iter()
        .find(|r| r.attr("id") == Some(resource))
    else {
        return view;
    };
    let yes = |k: &str| r.attr(k) == Some("true");
    view.configured = true;
    view.managed = yes("managed");
    view.failed = yes("failed");
    view.role = r.attr("role").unwrap_or_default().to_string();
    view.target_role = r.attr("target_role").map(ToString::to_string);
    view.running_on = r
        .find_all("node")
        .iter()
        .filter_map(|n| n.attr("name").map(ToString::to_string))
        .collect();
    for node in mon
        .find_all("node_history")
        .iter()
        .flat_map(|h| h.children.iter())
    {
        for h in &node.children {
            if h.attr("id") != Some(resource) {
                continue;
            }
            if let (Some(name), Some(count)) = (node.attr("name"), h.attr("fail-count")) {
                if count != "0" {
                    view.fail_counts.push(FailCount {
                        node: name.into(),
                        count: count.into(),
                    });
                }
            }
        }
    }
    for c in constraints.find_all("rsc_location") {
        let (Some(id), Some(node)) = (c.attr("id"), c.attr("node")) else {
            continue;
        };
        if c.attr("rsc") != Some(resource) {
            continue;
        }
        if id == format!("cli-prefer-{resource}") {
            view.moved_to = Some(node.into());
        } else if id.starts_with(&format!("cli-ban-{resource}-on-")) {
            view.banned_from.push(node.into());
        }
    }
    view
}

#[cfg(test)]
mod tests {
    use super::*;

    const MON: &str = r#"<pacemaker-result api-version="2.25" request="crm_mon">
  <nodes>
    <node name="n1" id="1" online="true"/>
  </nodes>
  <resources>
    <resource id="om-other" resource_agent="ocf:om:svc" role="Started" active="true" orphaned="false" blocked="false" managed="true" failed="false" failure_ignored="false" nodes_running_on="1">
      <node name="n1" id="1" cached="true"/>
    </resource>
    <resource id="om-web" resource_agent="ocf:om:svc" role="Started" target_role="Started" active="true" orphaned="false" blocked="false" managed="false" failed="false" failure_ignored="false" nodes_running_on="1">
      <node name="n2" id="2" cached="true"/>
    </resource>
  </resources>
  <node_history>
    <node name="n1">
      <resource_history id="om-web" orphan="false" migration-threshold="3" fail-count="INFINITY" last-failure="Mon Dec  7 20:00:00 2026"/>
      <resource_history id="om-other" orphan="false" migration-threshold="3" fail-count="2"/>
    </node>
    <node name="n2">
      <resource_history id="om-web" orphan="false" migration-threshold="3"/>
    </node>
  </node_history>
  <status code="0" message="OK"/>
</pacemaker-result>"#;

    const CONSTRAINTS: &str = r#"<constraints>
  <rsc_location id="om-web-placement" rsc="om-web"/>
  <rsc_location id="cli-prefer-om-web" rsc="om-web" role="Started" node="n2" score="INFINITY"/>
  <rsc_location id="cli-ban-om-web-on-n1" rsc="om-web" role="Started" node="n1" score="-INFINITY"/>
  <rsc_location id="cli-prefer-om-other" rsc="om-other" node="n1" score="INFINITY"/>
</constraints>"#;

    #[test]
    fn where_it_runs_where_it_is_sent_and_its_failures() {
        let mon = xml::parse(MON).unwrap();
        let cons = xml::parse(CONSTRAINTS).unwrap();
        let v = read(&mon, &cons, "om-web");
        assert_eq!(
            v,
            View {
                resource: "om-web".into(),
                error: None,
                configured: true,
                managed: false,
                role: "Started".into(),
                target_role: Some("Started".into()),
                running_on: vec!["n2".into()],
                failed: false,
                moved_to: Some("n2".into()),
                banned_from: vec!["n1".into()],
                fail_counts: vec![FailCount {
                    node: "n1".into(),
                    count: "INFINITY".into()
                }],
            }
        );
        assert_eq!(
            v.line(),
            "pacemaker: unmanaged, target Started, started on n2, moved to n2, banned from n1, fail counts n1=INFINITY (om-web)"
        );
        let none = read(&mon, &cons, "om-db");
        assert!(!none.configured);
        assert!(none.line().contains("no resource om-db"));
    }

    #[test]
    fn a_query_that_failed_says_so() {
        let v = View::unknown(
            "om-web",
            &Error::call("crm_mon --one-shot", "connection refused"),
        );
        assert!(!v.configured);
        assert_eq!(
            v.line(),
            "pacemaker: can not be asked: crm_mon --one-shot: connection refused"
        );
        let json = serde_json::to_value(&v).unwrap();
        assert!(json["error"]
            .as_str()
            .unwrap()
            .contains("connection refused"));
    }
}
