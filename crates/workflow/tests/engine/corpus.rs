//! The third-party corpus (`fixtures/corpus`, see its PROVENANCE.md): every file is either
//! refused naming an element, or accepted and run to its end (open user tasks completed in
//! order of creation, no variables) along the path BPMN 2.0 prescribes, written down below
//! by reading each accepted file. An accepted file without a reviewed path counts as wrong.
//! bpmn-engine (npm, paed01), run the same way by `tools/bpmn-engine-path.mjs`, must take the
//! same path, or a difference written down below with its reason.

use super::*;

use std::path::{Path, PathBuf};
use std::process::Command;

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

/// Why bpmn-engine ends where BPMN 2.0 waits: its parallel join counts a discarded (untaken)
/// incoming flow as arrived.
const DISCARDED_FLOW_JOINS: &str = "bpmn-engine sends a discard down every flow not taken and \
its parallel join completes once each incoming flow has been taken or discarded \
(bpmn-elements docs/ParallelGateway.md); in BPMN 2.0 a parallel join is activated only by a \
token on each incoming flow, and an untaken flow carries none, so the instance stays active \
with a token waiting at the join";

/// Where bpmn-engine's path differs from EXPECTED's: the file, bpmn-engine's path, and why
/// ours is BPMN 2.0's. A difference not listed here fails the comparison, and so does a listed
/// one that no longer occurs.
const BPMN_ENGINE_DIFFERS: &[(&str, &str, &str)] = &[
    // The exclusive gateway takes `toTask1` and discards `toTask2` and the default `toJoin2`.
    (
        "bpmn-elements--parallel-join-edgecase.bpmn",
        "tasks=[] ends=[end] status=completed",
        DISCARDED_FLOW_JOINS,
    ),
    // Both decisions take their default and discard their conditional flow.
    (
        "bpmn-elements--succeeding-joins.bpmn",
        "tasks=[] ends=[end] status=completed",
        DISCARDED_FLOW_JOINS,
    ),
    (
        "bpmn-engine--succeeding-joins.bpmn",
        "tasks=[] ends=[end] status=completed",
        DISCARDED_FLOW_JOINS,
    ),
    // The task is completed before its non-interrupting timer fires; bpmn-engine then
    // discards the boundary event's flow to the join, where BPMN 2.0 sends no token.
    (
        "bpmn-elements--boundary-non-interupting-timer.bpmn",
        "tasks=[userTask] ends=[EndEvent_04z4jtj] status=completed",
        DISCARDED_FLOW_JOINS,
    ),
];

/// The corpus files our parser accepts and EXPECTED lists, sorted.
fn accepted_and_reviewed(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "bpmn"))
        .filter(|p| EXPECTED.iter().any(|(f, _)| p.file_name().is_some_and(|n| n == *f)))
        .filter(|p| parse_bpmn(&std::fs::read_to_string(p).expect("read")).is_ok())
        .collect();
    files.sort();
    files
}

/// One line of `tools/bpmn-engine-path.mjs`: the file's name, and its path written as EXPECTED
/// writes one, or what bpmn-engine failed with.
fn bpmn_engine_path(line: &str) -> (String, Result<String, String>) {
    let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    let list = |key: &str| {
        let items = v[key].as_array().expect(key).iter().filter_map(Value::as_str);
        items.collect::<Vec<_>>().join(",")
    };
    let file = v["file"].as_str().expect("file").to_string();
    let status = v["status"].as_str().expect("status");
    if status == "error" {
        return (file, Err(v["error"].as_str().unwrap_or("?").to_string()));
    }
    (file, Ok(format!("tasks=[{}] ends=[{}] status={status}", list("tasks"), list("ends"))))
}

/// bpmn-engine, an engine written apart from ours, runs every accepted file as `run` does
/// (`tools/bpmn-engine-path.mjs`): its path is EXPECTED's, or a difference listed in
/// BPMN_ENGINE_DIFFERS. Files bpmn-engine cannot run are reported, not failures. Needs node
/// and bpmn-engine in the node_modules named by CQDT_BPMN_ENGINE_DIR (CI installs them).
#[test]
fn every_accepted_file_takes_the_path_bpmn_engine_takes_or_a_documented_difference() {
    let modules = std::env::var("CQDT_BPMN_ENGINE_DIR").unwrap_or_default();
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    let installed =
        !modules.is_empty() && Path::new(&modules).join("bpmn-engine/package.json").is_file();
    let what = "node and bpmn-engine are needed (npm install --prefix DIR bpmn-engine@25.0.1 \
        bpmn-elements@17.3.0, then CQDT_BPMN_ENGINE_DIR=DIR/node_modules)";
    let check = "comparison with bpmn-engine";
    if !cqdt_testing::prerequisite(node && installed, check, what, "CQDT_REQUIRE_BPMN_ENGINE") {
        return;
    }
    let files = accepted_and_reviewed(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/corpus"
    )));
    assert!(!files.is_empty(), "some corpus files are accepted");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tools/bpmn-engine-path.mjs");
    let out = Command::new("node")
        .args([script, "--modules", &modules])
        .args(&files)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bpmn-engine-path.mjs failed: {stderr}");
    let ran: Vec<_> = stdout.lines().map(bpmn_engine_path).collect();
    let (mut same, mut documented, mut could_not, mut wrong) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for path in &files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let ours = EXPECTED.iter().find(|(f, _)| *f == name).map(|(_, p)| *p).unwrap_or_default();
        let listed = BPMN_ENGINE_DIFFERS.iter().find(|(f, _, _)| *f == name);
        match (ran.iter().find(|(f, _)| f == name).map(|(_, p)| p), listed) {
            (None, _) => wrong.push(format!("{name}: bpmn-engine-path.mjs printed nothing")),
            (Some(Err(e)), None) => {
                could_not.push(format!("{name}: bpmn-engine could not run it: {e}"));
            }
            (Some(Err(e)), Some(_)) => {
                wrong.push(format!("{name}: documented difference, but bpmn-engine failed: {e}"));
            }
            (Some(Ok(theirs)), None) if theirs == ours => same.push(name),
            (Some(Ok(theirs)), None) => wrong.push(format!(
                "{name}: bpmn-engine takes {theirs}, BPMN says {ours}: an undocumented difference"
            )),
            (Some(Ok(theirs)), Some(_)) if theirs == ours => {
                wrong.push(format!("{name}: documented difference no longer occurs: {ours}"));
            }
            (Some(Ok(theirs)), Some((_, recorded, why))) if theirs == recorded => {
                documented.push(format!("{name}: bpmn-engine takes {theirs}, BPMN {ours}: {why}"));
            }
            (Some(Ok(theirs)), Some((_, recorded, _))) => wrong.push(format!(
                "{name}: bpmn-engine takes {theirs}, the documented difference says {recorded}"
            )),
        }
    }
    for (f, _, _) in BPMN_ENGINE_DIFFERS {
        if !files.iter().any(|p| p.file_name().is_some_and(|n| n == *f)) {
            wrong.push(format!("{f}: documented difference for a file not compared"));
        }
    }
    println!(
        "bpmn-engine: {} compared, {} same, {} documented differences, {} bpmn-engine could not run",
        files.len(),
        same.len(),
        documented.len(),
        could_not.len()
    );
    println!("same: {same:?}");
    for line in documented.iter().chain(&could_not) {
        println!("{line}");
    }
    assert!(wrong.is_empty(), "bpmn-engine comparison:\n{}", wrong.join("\n"));
}
