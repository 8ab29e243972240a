//! The third-party corpus (`fixtures/corpus`, see its PROVENANCE.md): every file is either
//! refused naming an element, or accepted and run to its end (open user tasks completed in
//! order of creation, no variables) along the path BPMN 2.0 prescribes, written down below
//! by reading each accepted file. An accepted file without a reviewed path counts as wrong.

use super::*;

use cqdt_workflow::parse_bpmn;

/// Accepted files and their run: the user tasks completed in order, the end events reached
/// (sorted), the instance's final status.
const EXPECTED: &[(&str, &str)] = &[
    // start → task (no performer: passes) → end; the data store and objects are ignored.
    (
        "bpmn-elements--data-store-reference.bpmn",
        "tasks=[] ends=[EndEvent_1x3m70n] status=completed",
    ),
    ("bpmn-elements--engine-issue-139.bpmn", "tasks=[] ends=[Event_08mzzqt] status=completed"),
    ("bpmn-engine--issue-139.bpmn", "tasks=[] ends=[Event_08mzzqt] status=completed"),
    // Two plain tasks in a group: the group means nothing to the run.
    ("bpmn-elements--groups.bpmn", "tasks=[] ends=[Event_09abgyv] status=completed"),
    // Task before (passes), a PT0.05S intermediate timer (the run lets time pass), task
    // after (passes), end.
    ("bpmn-elements--timer-event.bpmn", "tasks=[] ends=[end] status=completed"),
    // `${true}` is the first flow in document order, so the token goes through the task to
    // the join, which waits for the default flow that was not taken: BPMN 2.0's parallel
    // join waits for every incoming flow (bpmn-engine's discarding of untaken flows is its
    // own), so the instance stays active with its token at the join.
    ("bpmn-elements--parallel-join-edgecase.bpmn", "tasks=[] ends=[] status=active"),
    // Both decisions take their default (no variables); join1 waits for flow-up-join1 and
    // join2 for join1 and decision2's conditional flow: both stay waiting, as BPMN 2.0 says.
    ("bpmn-elements--succeeding-joins.bpmn", "tasks=[] ends=[] status=active"),
    ("bpmn-engine--succeeding-joins.bpmn", "tasks=[] ends=[] status=active"),
    // A non-interrupting PT0.01S timer on the task, both paths meeting at a parallel join.
    // The run completes the task before any time passes (the clock stands still), so the
    // timer ends with its task and never fires: the join waits for the flow from the timer
    // that will not come, and the instance stays active, as BPMN 2.0 says.
    (
        "bpmn-elements--boundary-non-interupting-timer.bpmn",
        "tasks=[userTask] ends=[] status=active",
    ),
];

/// Runs an accepted file to its end; answers its path as `tasks=[…] ends=[…] status=…`. A
/// token waiting at an intermediate timer is moved on by letting a day pass.
async fn run(w: &WorkflowService, clock: &ManualClock, xml: &str) -> Result<String, WorkflowError> {
    let def = w.deploy("corpus", "", xml).await?;
    let model = parse_bpmn(xml).map_err(WorkflowError::Bpmn)?;
    let id = w.start(Start::new("corpus", &def.key)).await?;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let d = w.instance(id).await?;
        let Some(open) = d.tasks.iter().find(|t| t.status == "open") else {
            break;
        };
        let kind = model.nodes.get(&open.node_id).map(|n| &n.kind);
        if matches!(kind, Some(cqdt_workflow::NodeKind::TimerCatch { .. })) {
            clock.advance(chrono::Duration::days(1));
            w.fire_due_timers().await?;
            continue;
        }
        tasks.push(open.node_id.clone());
        w.complete("corpus", "", open.id, Map::new()).await?;
    }
    let d = w.instance(id).await?;
    let mut ends: Vec<&str> =
        d.history.iter().filter(|h| h.event == "ended").map(|h| h.node_id.as_str()).collect();
    ends.sort_unstable();
    Ok(format!(
        "tasks=[{}] ends=[{}] status={}",
        tasks.join(","),
        ends.join(","),
        d.instance.status
    ))
}

#[tokio::test]
async fn every_third_party_file_is_run_the_bpmn_way_or_refused_naming_an_element() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/corpus");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "bpmn"))
        .collect();
    files.sort();
    let t = TestDb::new().await;
    let clock = friday_13_february_2026();
    let w = engine(&t, clock.clone()).await;
    let (mut correct, mut refused, mut wrong) = (Vec::new(), Vec::new(), Vec::new());
    for path in &files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let xml = std::fs::read_to_string(path).expect("read");
        match parse_bpmn(&xml) {
            Err(errors) => {
                if errors.iter().any(|e| e.element.is_some()) {
                    println!("refused {name}: {}", errors[0]);
                    refused.push(name);
                } else {
                    wrong.push(format!("{name}: refused without naming an element: {errors:?}"));
                }
            }
            Ok(_) => {
                let got = match run(&w, &clock, &xml).await {
                    Ok(p) => p,
                    Err(e) => format!("error: {e}"),
                };
                match EXPECTED.iter().find(|(f, _)| *f == name) {
                    Some((_, want)) if *want == got => correct.push(name),
                    Some((_, want)) => wrong.push(format!("{name}: ran {got}, BPMN says {want}")),
                    None => wrong.push(format!("{name}: accepted, path not reviewed: {got}")),
                }
            }
        }
    }
    println!(
        "corpus: {} files, {} accepted & correct, {} refused, {} wrong",
        files.len(),
        correct.len(),
        refused.len(),
        wrong.len()
    );
    println!("accepted & correct: {correct:?}");
    assert!(files.len() >= 90, "the corpus is there");
    assert!(wrong.is_empty(), "run wrongly:\n{}", wrong.join("\n"));
}
