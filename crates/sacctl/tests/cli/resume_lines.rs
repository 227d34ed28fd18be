//! Resume lines carry ids from the server: printed for the shell that will
//! run them (`SACCTL_SHELL`: posix or powershell), each id one literal word.

use std::process::Stdio;
use std::time::Duration;

use crate::common::*;
use sac_emulator::ClockMode;

const HOSTILE_ID: &str = "7A8B;touch x'y $(id)";

/// `schedule wait` for a run id the logs do not hold (yet), stopped by
/// SIGTERM while it waits: the resume line it prints for `shell`.
async fn resume_line_for(env: &Env, shell: &str) -> String {
    let args = ["schedule", "wait", SCHEDULE, "--model", MODEL, "--execution", HOSTILE_ID, "--timeout", "60s"];
    let mut cmd = env.command(&args);
    cmd.env("SACCTL_SHELL", shell).stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    // The wait declared its run before its first read; the grace keeps it reading.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait()).await.expect("sacctl ended").unwrap();
    let mut stderr = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).await.unwrap();
    assert_eq!(status.code(), Some(143), "{stderr}");
    stderr
        .lines()
        .find_map(|l| l.split_once("resume with: ").map(|(_, line)| line.to_string()))
        .unwrap_or_else(|| panic!("a resume line: {stderr}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn resume_lines_quote_a_hostile_id_for_posix_and_powershell() {
    let env = setup(ClockMode::Manual).await;

    let posix = resume_line_for(&env, "posix").await;
    let words = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("for w in {}; do printf '%s\\n' \"$w\"; done", posix.trim_start_matches("sacctl ")))
        .current_dir(env.home.path())
        .output()
        .unwrap();
    let words = String::from_utf8(words.stdout).unwrap();
    let words: Vec<&str> = words.lines().collect();
    assert_eq!(words.last(), Some(&HOSTILE_ID), "sh reads the id back as one word: {posix}");
    assert!(!env.home.path().join("x'y").exists(), "nothing ran");

    let powershell = resume_line_for(&env, "powershell").await;
    assert_eq!(
        powershell,
        format!("sacctl schedule wait {SCHEDULE} --model {MODEL} --execution '7A8B;touch x''y $(id)'"),
        "a verbatim string, its quote doubled"
    );

    let refused =
        env.command(&["schedule", "logs", "--model", MODEL]).env("SACCTL_SHELL", "cmd").output().await.unwrap();
    assert_eq!(code(&refused), 2, "{}", describe(&refused));
    assert!(stderr(&refused).contains("SACCTL_SHELL is \"cmd\": use posix or powershell"), "{}", describe(&refused));
}
