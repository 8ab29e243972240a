//! Process definitions: the supported subset of BPMN 2.0, read from the XML that bpmn.io and
//! Camunda Modeler write. Anything outside the subset is refused by id and type
//! (`vocab` says what is known, `parse` reads, `check` validates the graph, `duration` reads
//! timers).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Map;

use crate::condition::{self, Expr};

mod check;
pub(crate) use check::kind_name;
pub mod duration;
mod parse;
mod vocab;

pub use duration::parse_duration_days;
pub use parse::parse_bpmn;

/// What a node does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum NodeKind {
    /// Where an instance starts.
    StartEvent,
    /// Where an instance starts when a message of this name arrives that no running instance
    /// waits for (a message start event); the start API starts it too.
    MessageStart {
        /// The message's name.
        message: String,
    },
    /// Where a path ends.
    EndEvent,
    /// A terminate end event: the whole instance ends here, every other branch with it (its
    /// open tasks, jobs, message waits and timers are cancelled).
    TerminateEnd,
    /// An error end event: throws a BPMN error (its `errorCode`; none: an error any catch-all
    /// boundary catches), caught by an error boundary event on an enclosing stage, which ends
    /// everything inside that stage and takes the boundary's path.
    ErrorEnd {
        /// The error's code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
    },
    /// An escalation end event: tells an enclosing stage (its escalation boundary event for
    /// the code, or one catching every escalation) that something needs a higher level —
    /// a deadline at risk, a case beyond the official's authority.
    EscalationEnd {
        /// The escalation's code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
    },
    /// Work done by a person of a role within an agency.
    UserTask {
        /// Candidate roles, comma-separated (candidateGroups, or the lane's name).
        role: Option<String>,
        /// Allotted working days, if given.
        days: Option<f64>,
        /// The agency whose officials do it, when not the instance's own (liên thông): an
        /// agency code, or `${variable}` naming an instance variable that holds one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agency: Option<String>,
        /// The person it is assigned to from the start (camunda:assignee, zeebe
        /// assignmentDefinition).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        assignee: Option<String>,
        /// A multi-instance marker: one task per item of a list.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        multi: Option<MultiInstance>,
        /// A standard-loop marker: the task is done again while its condition holds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        repeat: Option<StandardLoop>,
    },
    /// A task with no performer the engine knows (`task`, `manualTask`): BPMN passes the
    /// token straight through.
    PassThrough,
    /// A none intermediate throw event: a milestone drawn on the path; the token passes.
    ThrowEvent,
    /// An intermediate escalation throw event inside a stage: tells the stage, as an
    /// escalation end event does, and — unless the stage's boundary that catches it is
    /// interrupting — the token goes on (a case beyond an official's authority is reported
    /// while the work continues).
    EscalationThrow {
        /// The escalation's code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
    },
    /// A link intermediate throw event: the token goes on at the link catch event of the same
    /// name in the same scope (wired as a flow `link#<id>` when the file is read).
    LinkThrow {
        /// The link's name.
        name: String,
    },
    /// A link intermediate catch event: where the tokens of the link throw events of its name
    /// go on.
    LinkCatch {
        /// The link's name.
        name: String,
    },
    /// Work done by the platform: a registered handler of this type.
    ServiceTask {
        /// Handler type.
        handler: String,
    },
    /// Work done by a worker outside the engine (camunda:type="external", zeebe:taskDefinition):
    /// the instance waits while the job is fetched, locked and completed through the job API.
    ExternalTask {
        /// The topic (Camunda 7) or job type (Zeebe) workers ask for.
        topic: String,
        /// Retries the job starts with (zeebe:taskDefinition `retries`, 3 when absent); `None`
        /// for Camunda 7, where the worker says how many are left when it reports a failure.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retries: Option<i64>,
    },
    /// Waits for a message (receiveTask, intermediateCatchEvent with a
    /// messageEventDefinition), delivered through the message correlation API.
    MessageCatch {
        /// The message's name (the `name` of the `message` element referred to).
        message: String,
        /// The variable whose value, when the wait begins, is the correlation key
        /// (zeebe:subscription correlationKey="=x"); without one, a message correlates by the
        /// instance's business key or id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        /// Drawn as an intermediate catch event rather than a receive task.
        #[serde(default)]
        event: bool,
    },
    /// One of several paths, by condition.
    ExclusiveGateway {
        /// Flow taken when no condition holds.
        default: Option<String>,
    },
    /// All paths at once (fork), or wait for all (join).
    ParallelGateway,
    /// Every path whose condition holds (fork; the default flow when none does), and, with
    /// more than one incoming flow, a join that waits for the tokens that can still arrive.
    InclusiveGateway {
        /// Flow taken when no condition holds.
        default: Option<String>,
    },
    /// An embedded sub-process: a stage of the process with its own start and end events. The
    /// token goes in at `start`; the stage ends when no token is left inside it, and the
    /// token goes on down its outgoing flow. A timer on its boundary watches the whole stage.
    SubProcess {
        /// Its start event.
        start: String,
    },
    /// A call activity: the token waits while an instance of another process — the newest
    /// version of the process whose id is `called` — runs from its start to its end; its
    /// variables come back through `outputs` and the token goes on. Deployed separately, the
    /// called process is shared by every process that calls it (a common appraisal stage).
    CallActivity {
        /// The called process's id (its definition key).
        called: String,
        /// What the called instance starts with, from the caller's variables.
        inputs: Mapping,
        /// What reaches the caller, from the called instance's variables when it ends.
        outputs: Mapping,
    },
    /// An (exclusive) event-based gateway: the token waits at every message or timer catch
    /// event after it at once; the first to happen takes the token, the others are cancelled.
    EventGateway,
    /// An intermediate timer catch event: the token waits there until the time has passed
    /// (a public posting period, a cooling-off delay), then moves on.
    TimerCatch {
        /// Working days to wait, when it counts in working time (`cqdt:calendar="working"`).
        days: f64,
        /// Calendar time to wait, as BPMN means a duration; `None` counts working days.
        #[serde(default)]
        calendar: Option<duration::CalendarDuration>,
        /// The instant it fires (`timeDate`, RFC 3339 UTC), instead of a duration.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        date: Option<String>,
    },
    /// An error boundary event on an external task: a BPMN error its worker throws with a
    /// matching code interrupts the task and the token takes this event's path.
    ErrorBoundary {
        /// The task it watches.
        attached_to: String,
        /// The `errorCode` it catches; `None` catches every error (no `errorRef`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
    },
    /// An escalation boundary event on a stage: an escalation thrown inside it with a matching
    /// code takes this event's path; interrupting, everything inside the stage ends.
    EscalationBoundary {
        /// The stage it watches.
        attached_to: String,
        /// The `escalationCode` it catches; `None` catches every escalation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        /// Whether the stage is ended when it catches one.
        interrupting: bool,
    },
    /// A message boundary event on a user task or a stage: the message, correlated as to a
    /// receive task, takes this event's path (a citizen withdraws the dossier, a supplement
    /// arrives while it is examined); interrupting, the task or stage ends.
    MessageBoundary {
        /// The task or stage it watches.
        attached_to: String,
        /// The message's name.
        message: String,
        /// The correlation key's variable, as on a message catch event.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        /// Whether the task or stage ends when the message comes.
        interrupting: bool,
    },
    /// A timer on a user task: after a while, take another path.
    TimerBoundary {
        /// The task it watches.
        attached_to: String,
        /// Working days until it fires, when it counts in working time
        /// (`cqdt:calendar="working"`).
        days: f64,
        /// Whether the task is cancelled when it fires.
        interrupting: bool,
        /// Calendar time until it fires, as BPMN means a duration. `None` counts working
        /// days: the meaning of every timer deployed before calendar time existed, which a
        /// stored model keeps.
        #[serde(default)]
        calendar: Option<duration::CalendarDuration>,
        /// The instant it fires (`timeDate`, RFC 3339 UTC), instead of a duration.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        date: Option<String>,
        /// A repeating timer (`timeCycle`, on a non-interrupting event only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cycle: Option<duration::Cycle>,
    },
}

/// When a timer fires, as its diagram says: a duration (working days or calendar time), an
/// instant, or a cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// Working days (when `calendar` and the others are none).
    pub days: f64,
    /// Calendar time.
    pub calendar: Option<duration::CalendarDuration>,
    /// An instant (`timeDate`).
    pub date: Option<String>,
    /// A cycle (`timeCycle`).
    pub cycle: Option<duration::Cycle>,
}

impl NodeKind {
    /// A timer event's timing.
    pub fn timing(&self) -> Option<Timing> {
        match self {
            NodeKind::TimerCatch { days, calendar, date } => {
                Some(Timing { days: *days, calendar: *calendar, date: date.clone(), cycle: None })
            }
            NodeKind::TimerBoundary { days, calendar, date, cycle, .. } => Some(Timing {
                days: *days,
                calendar: *calendar,
                date: date.clone(),
                cycle: cycle.clone(),
            }),
            _ => None,
        }
    }
}

/// A multi-instance user task (`multiInstanceLoopCharacteristics`): one task per item of a
/// list variable — the agencies to consult, say — all at once or one after another; the
/// activity ends when every task is done or its completion condition holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiInstance {
    /// One after another (`isSequential="true"`) rather than all at once.
    pub sequential: bool,
    /// The instance variable holding the list (`camunda:collection`, Zeebe
    /// `inputCollection`).
    pub collection: String,
    /// The name each task sees its item by (`camunda:elementVariable`, Zeebe
    /// `inputElement`), also readable as `${name}` in `cqdt:agency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub element: Option<String>,
    /// Ends the activity early when true (`completionCondition`); it reads the instance's
    /// variables and `nrOfInstances`, `nrOfCompletedInstances`, `nrOfActiveInstances`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion: Option<String>,
    /// Zeebe `outputCollection` and `outputElement`: each task's value of the element
    /// variable, collected in the list's order into the collection variable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<(String, String)>,
}

/// Variables passed between a call activity and the instance it calls: every one (`all`),
/// then each (source, target) pair, the source's value under the target's name (null when
/// the source is unset, as Camunda 7's `camunda:in`/`camunda:out` do).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Mapping {
    /// Every variable, under its own name.
    pub all: bool,
    /// (source, target) pairs, applied after `all`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pairs: Vec<(String, String)>,
}

impl Mapping {
    /// Every variable, nothing renamed.
    pub fn everything() -> Mapping {
        Mapping { all: true, pairs: Vec::new() }
    }

    /// The variables `from` gives through this mapping.
    pub fn apply(&self, from: &Map<String, serde_json::Value>) -> Map<String, serde_json::Value> {
        let mut out = if self.all { from.clone() } else { Map::new() };
        for (source, target) in &self.pairs {
            let v = from.get(source).cloned().unwrap_or(serde_json::Value::Null);
            out.insert(target.clone(), v);
        }
        out
    }
}

/// A standard loop (`standardLoopCharacteristics`) on a user task: done again and again — a
/// draft revised until it is approved, say — while `condition` holds, at most `maximum`
/// times. Each time is a new task, which sees its number as `loopCounter` (from 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StandardLoop {
    /// `loopCondition`: another time while it holds (it reads the instance's variables and
    /// `loopCounter`, the times done so far); none: `maximum` times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// `testBefore`: the condition is read before the first time too (a while loop rather
    /// than a do-while).
    pub test_before: bool,
    /// `loopMaximum`: at most this many times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum: Option<u32>,
}

impl StandardLoop {
    /// Whether another time follows `done` times.
    pub fn again(&self, variables: &Map<String, serde_json::Value>, done: u32) -> bool {
        if self.maximum.is_some_and(|m| done >= m) {
            return false;
        }
        let Some(c) = self.condition.as_deref() else {
            return true;
        };
        let mut scope = variables.clone();
        scope.insert("loopCounter".into(), done.into());
        condition::parse(c).is_ok_and(|e| condition::eval(&e, &scope))
    }
}

/// A node of the process graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// BPMN element id.
    pub id: String,
    /// Name as drawn.
    pub name: String,
    /// What it does.
    pub kind: NodeKind,
    /// Outgoing flow ids, in document order.
    pub outgoing: Vec<String>,
    /// Incoming flow ids.
    pub incoming: Vec<String>,
    /// The embedded sub-process it is drawn in, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl Node {
    /// An inclusive gateway with more than one incoming flow.
    pub fn is_inclusive_join(&self) -> bool {
        matches!(self.kind, NodeKind::InclusiveGateway { .. }) && self.incoming.len() > 1
    }
}

/// A sequence flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    /// BPMN element id.
    pub id: String,
    /// Name as drawn (e.g. "Đạt").
    pub name: String,
    /// Source node.
    pub source: String,
    /// Target node.
    pub target: String,
    /// Condition text, if any.
    pub condition: Option<String>,
}

/// Diagram layout from BPMNDI, for drawing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    /// Element id → (x, y, width, height).
    pub shapes: BTreeMap<String, (f64, f64, f64, f64)>,
    /// Flow id → waypoints.
    pub edges: BTreeMap<String, Vec<(f64, f64)>>,
}

/// A parsed, checked process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Process {
    /// Process id in the XML (the definition key).
    pub key: String,
    /// Process name.
    pub name: String,
    /// Nodes by id.
    pub nodes: BTreeMap<String, Node>,
    /// Flows by id.
    pub flows: BTreeMap<String, Flow>,
    /// The start event.
    pub start: String,
    /// Layout for diagrams.
    pub layout: Layout,
}

/// Why a BPMN file was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BpmnError {
    /// Element id, when the problem is one element.
    pub element: Option<String>,
    /// Its element type (`userTask`, `camunda:inputOutput`…), when known.
    pub kind: Option<String>,
    /// What is wrong, in Vietnamese.
    pub message: String,
}

impl std::fmt::Display for BpmnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.element, &self.kind) {
            (Some(id), Some(kind)) => write!(f, "phần tử “{id}” ({kind}): {}", self.message),
            (Some(id), None) => write!(f, "phần tử “{id}”: {}", self.message),
            (None, Some(kind)) => write!(f, "{kind}: {}", self.message),
            (None, None) => write!(f, "{}", self.message),
        }
    }
}

impl BpmnError {
    /// A problem with one element (or the file, when `element` is None).
    pub(crate) fn new(
        element: Option<&str>,
        kind: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        BpmnError {
            element: element.map(str::to_string),
            kind: kind.map(str::to_string),
            message: message.into(),
        }
    }
}

impl Process {
    /// The parsed condition of a flow (checked at import, so a failure here means "false").
    pub fn condition(&self, flow: &str) -> Option<Expr> {
        self.flows
            .get(flow)
            .and_then(|f| f.condition.as_deref())
            .and_then(|c| condition::parse(c).ok())
    }

    /// Whether the person doing `task` decides where the process goes next: its flow leads
    /// to an exclusive gateway whose conditions read the `decision` variable (approve or
    /// send back).
    pub fn decides_after(&self, task: &str) -> bool {
        let Some(node) = self.nodes.get(task) else {
            return false;
        };
        node.outgoing
            .iter()
            .filter_map(|f| self.flows.get(f))
            .filter_map(|f| self.nodes.get(&f.target))
            .any(|g| {
                matches!(g.kind, NodeKind::ExclusiveGateway { .. })
                    && g.outgoing.iter().any(|f| {
                        self.flows
                            .get(f)
                            .and_then(|f| f.condition.as_deref())
                            .is_some_and(|c| c.contains("decision"))
                    })
            })
    }

    /// Timer boundary events attached to a task.
    pub fn timers_on(&self, task: &str) -> Vec<&Node> {
        self.nodes
            .values()
            .filter(|n| matches!(&n.kind, NodeKind::TimerBoundary { attached_to, .. } if attached_to == task))
            .collect()
    }

    /// The error boundary event on `task` that catches `code`: the one naming that code,
    /// else one catching every error.
    pub fn error_boundary(&self, task: &str, code: &str) -> Option<&Node> {
        let on_task = |n: &&Node| matches!(&n.kind, NodeKind::ErrorBoundary { attached_to, .. } if attached_to == task);
        let catches = |want: Option<&str>| {
            self.nodes.values().filter(on_task).find(|n| {
                matches!(&n.kind, NodeKind::ErrorBoundary { code: c, .. } if c.as_deref() == want)
            })
        };
        catches(Some(code)).or_else(|| catches(None))
    }

    /// Whether any task is a multi-instance one (so its progress must be read).
    pub fn has_loops(&self) -> bool {
        self.nodes.values().any(|n| matches!(&n.kind, NodeKind::UserTask { multi: Some(_), .. }))
    }

    /// The processes its call activities call, each once.
    pub fn called(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .nodes
            .values()
            .filter_map(|n| match &n.kind {
                NodeKind::CallActivity { called, .. } => Some(called.as_str()),
                _ => None,
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// Whether any gateway joins branches (so arrivals must be counted).
    pub fn has_joins(&self) -> bool {
        self.nodes.values().any(|n| {
            matches!(n.kind, NodeKind::ParallelGateway | NodeKind::InclusiveGateway { .. })
                && n.incoming.len() > 1
        })
    }

    /// Whether any inclusive gateway joins branches (so where every token of an instance
    /// waits must be known).
    pub fn has_inclusive_joins(&self) -> bool {
        self.nodes.values().any(Node::is_inclusive_join)
    }

    /// Whether where an instance's tokens wait at tasks must be known for its steps: its
    /// process has inclusive joins, event-based gateways or sub-processes.
    pub fn tracks_places(&self) -> bool {
        self.has_inclusive_joins()
            || self.has_event_gateways()
            || self.nodes.values().any(|n| matches!(n.kind, NodeKind::SubProcess { .. }))
    }

    /// The message boundary event on `node`, if it has one (at most one: checked).
    pub fn message_boundary<'a>(&'a self, node: &'a str) -> Option<&'a Node> {
        self.boundaries_of(node).find(|b| matches!(b.kind, NodeKind::MessageBoundary { .. }))
    }

    /// The stage an interrupting boundary timer `timer` sits on, if it is on one.
    pub fn stage_interrupted_by(&self, timer: &str) -> Option<&str> {
        let NodeKind::TimerBoundary { attached_to, interrupting: true, .. } =
            &self.nodes.get(timer)?.kind
        else {
            return None;
        };
        let on = self.nodes.get(attached_to)?;
        matches!(on.kind, NodeKind::SubProcess { .. }).then_some(on.id.as_str())
    }

    /// The stage and its error boundary event that catch an error `code` thrown at `node`:
    /// the nearest enclosing stage with a boundary naming the code, or catching every error.
    pub fn error_catcher(&self, node: &str, code: &str) -> Option<(&str, &Node)> {
        self.nearest_stage(node, |stage| self.error_boundary(stage, code))
    }

    /// The stage and its escalation boundary event that catch an escalation `code` thrown at
    /// `node`, as for errors.
    pub fn escalation_catcher(&self, node: &str, code: &str) -> Option<(&str, &Node)> {
        // (Thrown at an end event or an intermediate throw event inside a stage.)
        self.nearest_stage(node, |stage| {
            let on = |n: &&Node| matches!(&n.kind, NodeKind::EscalationBoundary { attached_to, .. } if attached_to == stage);
            let catches = |want: Option<&str>| {
                self.nodes.values().filter(on).find(|n| {
                    matches!(&n.kind, NodeKind::EscalationBoundary { code: c, .. } if c.as_deref() == want)
                })
            };
            catches(Some(code)).or_else(|| catches(None))
        })
    }

    /// The first stage enclosing `node`, going outwards, where `found` finds something.
    fn nearest_stage<'a>(
        &'a self,
        node: &str,
        found: impl Fn(&str) -> Option<&'a Node>,
    ) -> Option<(&'a str, &'a Node)> {
        let mut at = self.nodes.get(node).and_then(|n| n.scope.as_deref());
        while let Some(stage) = at {
            if let Some(b) = found(stage) {
                return Some((stage, b));
            }
            at = self.nodes.get(stage).and_then(|n| n.scope.as_deref());
        }
        None
    }

    /// Whether `node` lies within the sub-process `scope`, at any depth.
    pub fn within(&self, node: &str, scope: &str) -> bool {
        let mut at = self.nodes.get(node).and_then(|n| n.scope.as_deref());
        while let Some(s) = at {
            if s == scope {
                return true;
            }
            at = self.nodes.get(s).and_then(|n| n.scope.as_deref());
        }
        false
    }

    /// The message that starts an instance of this process, if its start event waits for one.
    pub fn start_message(&self) -> Option<&str> {
        match &self.nodes.get(&self.start)?.kind {
            NodeKind::MessageStart { message } => Some(message),
            _ => None,
        }
    }

    /// Whether any event-based gateway races waits.
    pub fn has_event_gateways(&self) -> bool {
        self.nodes.values().any(|n| n.kind == NodeKind::EventGateway)
    }

    /// The event-based gateway whose race `node` is one of (its only incoming flow comes
    /// from such a gateway).
    pub fn race_of(&self, node: &str) -> Option<&Node> {
        let flow = self.nodes.get(node)?.incoming.first()?;
        let gateway = self.nodes.get(&self.flows.get(flow)?.source)?;
        (gateway.kind == NodeKind::EventGateway).then_some(gateway)
    }

    /// The other waits of the race `node` is in: the targets of its gateway's other flows.
    pub fn rivals_of(&self, node: &str) -> Vec<&str> {
        let Some(g) = self.race_of(node) else {
            return Vec::new();
        };
        g.outgoing
            .iter()
            .filter_map(|f| self.flows.get(f))
            .map(|f| f.target.as_str())
            .filter(|t| *t != node)
            .collect()
    }

    /// Boundary events attached to `node`.
    pub fn boundaries_of<'a>(&'a self, node: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.nodes.values().filter(move |n| match &n.kind {
            NodeKind::TimerBoundary { attached_to, .. }
            | NodeKind::ErrorBoundary { attached_to, .. }
            | NodeKind::EscalationBoundary { attached_to, .. }
            | NodeKind::MessageBoundary { attached_to, .. } => attached_to == node,
            _ => false,
        })
    }
}

#[cfg(test)]
mod tests;
