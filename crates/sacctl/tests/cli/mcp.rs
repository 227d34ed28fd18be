//! `sacctl mcp` over its stdio, as an MCP client speaks to it (JSON-RPC
//! lines): the tools and their annotations, a schedule run waited for with
//! progress notifications, a multi action, the refusals of `--read-only`
//! and `--allow`; and no secret the tenant handed out (cookies, CSRF and
//! OAuth tokens, seen by a recording proxy) in any result or log line.

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::common::*;
use crate::messages::recording_proxy;
use sac_emulator::ClockMode;

/// A `sacctl mcp` process and the lines it wrote.
struct Session {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    stdout: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    /// Every line read from stdout (responses and notifications).
    seen: Vec<String>,
    next: u64,
}

impl Session {
    async fn start(env: &Env, args: &[&str]) -> Session {
        let mut command = env.command(args);
        command.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
        command.stderr(std::process::Stdio::piped());
        let mut child = command.spawn().unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut session = Session { child, stdin, stdout, seen: Vec::new(), next: 1 };
        let init = session
            .request(
                "initialize",
                json!({"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "sacctl-test", "version": "1"}}),
            )
            .await;
        assert_eq!(init["result"]["serverInfo"]["name"], "sacctl", "{init}");
        session.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;
        session
    }

    async fn send(&mut self, message: Value) {
        let line = format!("{message}\n");
        self.stdin.write_all(line.as_bytes()).await.unwrap();
        self.stdin.flush().await.unwrap();
    }

    /// Sends a request and reads lines up to its response.
    async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})).await;
        loop {
            let line = self.stdout.next_line().await.unwrap().expect("sacctl mcp ended before answering");
            self.seen.push(line.clone());
            let message: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            if message["id"] == json!(id) {
                return message;
            }
        }
    }

    async fn call(&mut self, tool: &str, arguments: Value) -> Value {
        let params = json!({"name": tool, "arguments": arguments, "_meta": {"progressToken": tool}});
        self.request("tools/call", params).await["result"].clone()
    }

    /// Closes stdin (the client leaves) and waits: exit code and stderr.
    async fn end(self) -> (i32, String, Vec<String>) {
        let Session { child, stdin, seen, .. } = self;
        drop(stdin);
        let output = child.wait_with_output().await.unwrap();
        (code(&output), stderr(&output), seen)
    }
}

fn text(result: &Value) -> String {
    result["content"][0]["text"].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn tools_run_and_wait_with_progress_refuse_and_never_show_a_secret() {
    let mut env = setup(ClockMode::Immediate).await;
    // No API domain: the public APIs go through the browser domain with CSRF and cookie too.
    env.vars.retain(|(k, _)| k != "SACCTL_API_URL");
    let (proxy, secrets) = recording_proxy().await;
    env.set("HTTP_PROXY", &proxy);

    let mut mcp = Session::start(&env, &["-vv", "mcp"]).await;
    let tools = mcp.request("tools/list", json!({})).await;
    let tools = tools["result"]["tools"].as_array().unwrap().clone();
    let tool = |name: &str| tools.iter().find(|t| t["name"] == name).unwrap_or_else(|| panic!("{name}: {tools:?}"));
    assert_eq!(tool("run_schedule")["annotations"]["readOnlyHint"], false);
    assert_eq!(tool("run_schedule")["annotations"]["destructiveHint"], true);
    assert_eq!(tool("list_schedules")["annotations"]["readOnlyHint"], true);
    assert_eq!(tool("run_schedule")["inputSchema"]["properties"]["schedule_id"]["type"], "string");

    let run = mcp.call("run_schedule", json!({"model": MODEL, "schedule_id": SCHEDULE})).await;
    assert_eq!(run["isError"], false, "{run}");
    let doc = &run["structuredContent"];
    assert_eq!(doc["rows"], json!({"read": 89, "rejected": 0, "inserted": 89}), "{doc}");
    assert_eq!((doc["outcome"].as_str(), doc["exit_code"].as_i64()), (Some("success"), Some(0)), "{doc}");
    let execution = doc["execution_id"].as_str().unwrap();
    let progress: Vec<Value> = mcp
        .seen
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["method"] == "notifications/progress" && m["params"]["progressToken"] == "run_schedule")
        .collect();
    assert!(
        progress.iter().any(|p| p["params"]["message"].as_str().unwrap_or_default().contains(execution)),
        "a progress notification names the run, to wait for it again: {progress:?}"
    );

    let ma =
        mcp.call("run_multi_action", json!({"id": MULTI_ACTION, "params": {"TargetVersion": "public.Plan"}})).await;
    assert_eq!(ma["isError"], false, "{ma}");
    assert_eq!(ma["structuredContent"]["exit_code"], 0, "{ma}");

    let doctor = mcp.call("auth_doctor", json!({"model": MODEL})).await;
    assert_eq!(doctor["isError"], false, "{doctor}");
    let capabilities = &doctor["structuredContent"]["capabilities"];
    assert_eq!(capabilities["run_data_management_schedules"], true, "{doctor}");
    assert_eq!(doctor["structuredContent"]["exit_code"], 0, "{doctor}");
    assert!(text(&doctor).contains("OK   token"), "the CLI's lines: {doctor}");

    let stdin = mcp.call("push_file", json!({"model": "SALES_PLAN", "file": "-"})).await;
    assert_eq!(stdin["isError"], true, "stdin is the session's channel: {stdin}");
    assert_eq!(stdin["structuredContent"]["exit_code"], 2, "{stdin}");

    let missing = mcp.call("schedule_runs", json!({"model": MODEL, "schedule_id": "0".repeat(32)})).await;
    assert_eq!(missing["isError"], true, "{missing}");
    assert!(text(&missing).contains("hint: check the id; `sacctl schedule list --model"), "{missing}");
    let (status, log, mut lines) = mcp.end().await;
    assert_eq!(status, 0, "the server ends cleanly when the client leaves: {log}");
    assert!(log.contains("DEBUG"), "-vv logs at debug level: {log}");

    let mut read_only = Session::start(&env, &["mcp", "--read-only", "--allow", MODEL]).await;
    let names: Vec<Value> =
        read_only.request("tools/list", json!({})).await["result"]["tools"].as_array().unwrap().clone();
    assert!(!names.iter().any(|t| t["name"] == "run_schedule") && names.iter().any(|t| t["name"] == "export"));
    let refused = read_only.call("run_schedule", json!({"model": MODEL, "schedule_id": SCHEDULE})).await;
    assert_eq!(refused["isError"], true, "{refused}");
    assert!(text(&refused).contains("--read-only"), "{refused}");
    let outside = read_only.call("export", json!({"model": "SALES_PLAN"})).await;
    assert_eq!(outside["isError"], true, "{outside}");
    assert!(text(&outside).contains("SALES_PLAN is not in this MCP session's --allow list"), "{outside}");
    let (_, read_only_log, read_only_lines) = read_only.end().await;

    let mut secrets = secrets.lock().unwrap().clone();
    assert!(secrets.len() >= 4, "the proxy saw the cookie, CSRF and OAuth tokens: {secrets:?}");
    secrets.extend(["sacctl-user-secret".to_string(), "Welcome1!".to_string()]);
    lines.extend(read_only_lines);
    let everything = format!("{}\n{log}\n{read_only_log}", lines.join("\n"));
    for secret in &secrets {
        assert!(!everything.contains(secret.as_str()), "a secret reached a result or log:\n{everything}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wait_cut_short_names_the_tool_call_that_goes_on() {
    let env = setup(ClockMode::Manual).await;
    let mut mcp = Session::start(&env, &["mcp"]).await;
    let run = mcp.call("run_schedule", json!({"model": MODEL, "schedule_id": SCHEDULE, "wait_seconds": 1})).await;
    assert_eq!(run["isError"], false, "a run still going is an answer: {run}");
    let doc = &run["structuredContent"];
    assert_eq!((doc["state"].as_str(), doc["exit_code"].as_i64()), (Some("running"), Some(5)), "{doc}");
    let execution = doc["execution_id"].as_str().unwrap();
    let handle = &doc["resume_tool"];
    assert_eq!(handle["name"], "wait_schedule_run", "{doc}");
    assert_eq!(handle["arguments"]["execution_id"], execution, "{doc}");
    assert!(text(&run).contains("to go on waiting, call wait_schedule_run"), "{run}");

    let again = mcp.call("run_schedule", json!({"model": MODEL, "schedule_id": SCHEDULE})).await;
    assert_eq!(again["isError"], true, "SAC would stop both runs: {again}");
    assert_eq!(again["structuredContent"]["exit_code"], 7, "{again}");

    env.admin("/emulator/clock/release", json!({})).await;
    let resumed = mcp.call("wait_schedule_run", handle["arguments"].clone()).await;
    let doc = &resumed["structuredContent"];
    assert_eq!((doc["execution_id"].as_str(), doc["exit_code"].as_i64()), (Some(execution), Some(0)), "{resumed}");
    assert_eq!(doc["rows"]["read"], 89, "{resumed}");
    assert!(doc.get("resume_tool").is_none(), "an ended run needs no handle: {doc}");
    let (status, log, _) = mcp.end().await;
    assert_eq!(status, 0, "{log}");
}
