//! Reading, checking and planning chain files (no SAC needed).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use super::command::Program;
use super::file::{Action, Chain, OnFailure};
use super::plan;

/// The chain of the end-to-end tests.
const LOAD: &str = include_str!("../../tests/chains/load.toml");

/// Options of every sort.
const OPTIONS: &str = r#"
[vars]
part = "P0001"

[step.facts]
kind = "import"
model = "SALES_PLAN"
file = "facts-{part}.csv"
mapping = { Month = "Date" }
defaults = { Version = "public.Plan" }
profile = "technical"
retries = 2
retry_delay = "1s"
scope = ["Version", "Date"]

[step.copy]
kind = "multiaction"
multiaction = "t.G:MA_LOAD_ZEPPART"
params = { TargetVersion = "public.Plan", Parts = ["{part}", "P0002"] }
on_failure = "continue"

[step.later]
kind = "wait"
needs = "copy"
duration = "90s"
"#;

fn parse(text: &str) -> Result<Chain, super::diag::Diagnostics> {
    Chain::parse(Path::new("/chains/load.toml"), text, &BTreeMap::new())
}

#[test]
fn a_good_chain_reads_with_variables_paths_and_defaults() {
    let chain = parse(LOAD).unwrap();
    assert_eq!(chain.steps.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["master", "facts", "copy", "check"]);
    let master = chain.step("master").unwrap();
    assert_eq!((master.retries, master.wait.timeout), (0, Duration::from_secs(45 * 60)));
    assert_eq!(master.on_failure, OnFailure::Stop);
    let Action::Import(facts) = &chain.step("facts").unwrap().action else { panic!("an import") };
    assert_eq!(facts.file, Path::new("/chains/facts.csv"), "relative to the chain file");
    let Action::MultiAction { params, .. } = &chain.step("copy").unwrap().action else { panic!("a multi action") };
    assert_eq!(params[0].members, ["public.Plan"]);
    let Action::Export { filter, out, .. } = &chain.step("check").unwrap().action else { panic!("an export") };
    assert_eq!(filter.as_deref(), Some("Version eq 'public.Plan'"));
    assert_eq!(out, Path::new("/chains/out.csv"));

    let overridden = Chain::parse(
        Path::new("/chains/load.toml"),
        LOAD,
        &BTreeMap::from([("version".to_string(), "public.Forecast".to_string())]),
    )
    .unwrap();
    let Action::Export { filter, .. } = &overridden.step("check").unwrap().action else { panic!("an export") };
    assert_eq!(filter.as_deref(), Some("Version eq 'public.Forecast'"), "--var wins over [vars]");
}

#[test]
fn options_of_every_sort_read() {
    let chain = parse(OPTIONS).unwrap();
    let facts = chain.step("facts").unwrap();
    assert_eq!((facts.retries, facts.retry_delay), (2, Duration::from_secs(1)));
    assert_eq!(facts.profile.as_deref(), Some("technical"));
    let Action::Import(import) = &facts.action else { panic!("an import") };
    assert_eq!(import.file, Path::new("/chains/facts-P0001.csv"));
    assert_eq!(import.mapping["Month"], "Date");
    assert_eq!(import.defaults["Version"], "public.Plan");
    assert_eq!(import.scope, ["Version", "Date"]);
    let copy = chain.step("copy").unwrap();
    assert_eq!(copy.on_failure, OnFailure::Continue);
    let Action::MultiAction { params, .. } = &copy.action else { panic!("a multi action") };
    assert_eq!(params.iter().find(|p| p.id == "Parts").unwrap().members, ["P0001", "P0002"]);
    let later = chain.step("later").unwrap();
    assert_eq!(later.needs, ["copy"], "needs may be one string");
    assert_eq!(later.action, Action::Pause(Duration::from_secs(90)));
}

#[test]
fn the_plan_groups_independent_steps() {
    let chain = parse(LOAD).unwrap();
    let waves: Vec<Vec<&str>> =
        plan::waves(&chain).iter().map(|w| w.iter().map(|s| s.name.as_str()).collect()).collect();
    assert_eq!(waves, vec![vec!["master"], vec!["facts", "copy"], vec!["check"]]);
    let text = plan::describe(&chain);
    assert!(
        text.contains("2. facts (import, after master) | copy (multiaction, after master)  [in parallel]"),
        "{text}"
    );
}

/// The start of a `command` step (its keys follow).
const COMMAND: &str = "[step.c]\nkind = \"command\"\n";

#[test]
fn a_command_step_reads_its_argv_environment_and_directory() {
    let text = r#"
[vars]
part = "ZEPPART"

[step.extract]
kind = "command"
run = ["/usr/local/bin/bw-trigger", "{part}", "--label=${part}", "a b; rm -rf /"]
env = { BW_SYSTEM = "BWP", SACCTL_CLIENT_SECRET = "passed on on purpose" }
workdir = "work"
timeout = "2m"
retries = 1

[step.notify]
kind = "command"
needs = "extract"
run = ["./notify.sh"]

[step.mail]
kind = "command"
needs = "extract"
run = ["mail"]
"#;
    let chain = parse(text).unwrap();
    let extract = chain.step("extract").unwrap();
    assert_eq!((extract.kind, extract.retries, extract.wait.timeout), ("command", 1, Duration::from_secs(120)));
    let Action::Command(program) = &extract.action else { panic!("a command") };
    assert_eq!(
        program.run,
        ["/usr/local/bin/bw-trigger", "ZEPPART", "--label=$ZEPPART", "a b; rm -rf /"],
        "variables replaced, every element one argument as written"
    );
    assert_eq!(program.env["BW_SYSTEM"], "BWP");
    assert_eq!(program.env["SACCTL_CLIENT_SECRET"], "passed on on purpose");
    assert_eq!(program.workdir, Path::new("/chains/work"), "relative to the chain file");
    let Action::Command(notify) = &chain.step("notify").unwrap().action else { panic!("a command") };
    assert_eq!(
        notify,
        &Program { run: vec!["/chains/./notify.sh".into()], env: BTreeMap::new(), workdir: "/chains".into() },
        "a relative program path is relative to the chain file, and so is the default workdir"
    );
    let Action::Command(mail) = &chain.step("mail").unwrap().action else { panic!("a command") };
    assert_eq!(mail.run, ["mail"], "a bare name is looked up in PATH");
}

/// Each malformed input, the line and column of its error, and words of the message.
#[test]
fn every_error_names_its_line_and_column() {
    let step = "[step.a]\nkind = \"schedule\"\nschedule = \"S\"\nmodel = \"t.G:M\"\n";
    let cases: Vec<(&str, String, (usize, usize), &str)> = vec![
        ("TOML syntax", format!("{step}timeout = \n"), (5, 11), "invalid string; expected"),
        ("unknown top-level table", "[steps.a]\nkind = \"schedule\"\n".into(), (1, 2), "unknown field `steps`"),
        ("unknown key", format!("{step}filter = \"x\"\n"), (5, 1), "unknown key `filter` in step `a` of kind schedule"),
        ("unknown kind", "[step.a]\nkind = \"shedule\"\n".into(), (2, 8), "unknown kind \"shedule\""),
        ("no kind", "[step.a]\nmodel = \"x\"\n".into(), (1, 7), "has no `kind`"),
        ("kind not a string", "[step.a]\nkind = 3\n".into(), (2, 8), "`kind` must be a string"),
        ("missing required key", "[step.a]\nkind = \"multiaction\"\n".into(), (1, 7), "needs `multiaction`"),
        ("needs a missing step", format!("{step}needs = [\"a\", \"b\"]\n"), (5, 15), "needs `b`, which is not a step"),
        ("needs itself", format!("{step}needs = [\"a\"]\n"), (5, 10), "needs itself"),
        (
            "cycle",
            format!("{step}needs = [\"b\"]\n[step.b]\nkind = \"wait\"\nduration = \"1s\"\nneeds = [\"a\"]\n"),
            (5, 10),
            "cycle: a -> b -> a",
        ),
        ("bad duration", format!("{step}timeout = \"10 fortnights\"\n"), (5, 11), "bad duration for `timeout`"),
        ("duration not a string", format!("{step}poll_interval = 5\n"), (5, 17), "bad duration for `poll_interval`"),
        ("unknown variable", format!("{step}mapping = \"x-{{nope}}\"\n"), (5, 14), "unknown variable `nope`"),
        ("stray brace", format!("{step}mapping = \"x-{{\"\n"), (5, 14), "without its `}`"),
        ("bad on_failure", format!("{step}on_failure = \"retry\"\n"), (5, 14), "\"stop\" or \"continue\""),
        ("bad if_running", format!("{step}if_running = \"maybe\"\n"), (5, 14), "\"fail\", \"wait\" or \"start\""),
        ("negative retries", format!("{step}retries = -1\n"), (5, 11), "whole number"),
        ("wrong type", format!("{step}warnings_ok = \"yes\"\n"), (5, 15), "true or false"),
        (
            "wait with two targets",
            "[step.w]\nkind = \"wait\"\nduration = \"1s\"\nschedule = \"S\"\n".into(),
            (1, 7),
            "exactly one of",
        ),
        (
            "params not a table",
            "[step.m]\nkind = \"multiaction\"\nmultiaction = \"t.G:MA\"\nparams = \"x\"\n".into(),
            (4, 10),
            "must be a table",
        ),
        (
            "variable not a string",
            "[vars]\nv = [1]\n[step.w]\nkind = \"wait\"\nduration = \"1s\"\n".into(),
            (2, 5),
            "must be a string",
        ),
        ("no steps", "[vars]\nv = \"1\"\n".into(), (1, 1), "no steps"),
        ("command without run", "[step.c]\nkind = \"command\"\n".into(), (1, 7), "step `c` needs `run`"),
        ("command with an empty run", format!("{COMMAND}run = []\n"), (3, 7), "`run` is empty"),
        (
            "run as one string (it would need a shell)",
            format!("{COMMAND}run = \"bw-trigger ZEPPART\"\n"),
            (3, 7),
            "`run` must be an array of strings, the program and then each argument",
        ),
        (
            "run holding a number",
            format!("{COMMAND}run = [\"prog\", 3]\n"),
            (3, 7),
            "`run` must hold strings, not integer",
        ),
        (
            "unknown variable in run",
            format!("{COMMAND}run = [\"prog\", \"{{nope}}\"]\n"),
            (3, 17),
            "unknown variable `nope`",
        ),
        ("env not a table", format!("{COMMAND}run = [\"prog\"]\nenv = \"A=1\"\n"), (4, 7), "`env` must be a table"),
        (
            "env value not one string",
            format!("{COMMAND}run = [\"prog\"]\nenv = {{ A = 1 }}\n"),
            (4, 9),
            "`env.A` must hold strings",
        ),
        (
            "env naming no variable",
            format!("{COMMAND}run = [\"prog\"]\nenv = {{ \"A=B\" = \"x\" }}\n"),
            (4, 10),
            "no environment can hold",
        ),
        (
            "workdir not a string",
            format!("{COMMAND}run = [\"prog\"]\nworkdir = 1\n"),
            (4, 11),
            "`workdir` must be a string",
        ),
        (
            "a key of another kind",
            format!("{COMMAND}run = [\"prog\"]\nmodel = \"M\"\n"),
            (4, 1),
            "unknown key `model` in step `c` of kind command",
        ),
    ];
    for (what, text, (line, column), words) in cases {
        let errors = parse(&text).expect_err(what).0;
        let hit = errors.iter().find(|d| d.message.contains(words));
        let Some(d) = hit else { panic!("{what}: no error says {words:?}: {errors:?}") };
        assert_eq!((d.line, d.column), (line, column), "{what}: {d}");
        assert!(d.to_string().starts_with(&format!("/chains/load.toml:{line}:{column}: ")), "{what}: {d}");
    }
}

#[test]
fn all_errors_are_reported_at_once_in_file_order() {
    let text = "[step.a]\nkind = \"nope\"\n[step.b]\nkind = \"wait\"\nduration = \"x\"\nneeds = [\"zz\"]\n";
    let errors = parse(text).unwrap_err().0;
    let lines: Vec<usize> = errors.iter().map(|d| d.line).collect();
    assert_eq!(lines, [2, 5, 6], "{errors:?}");
}

#[test]
fn a_calendar_step_reads_its_event_and_flags() {
    let chain = parse(
        "[step.month]\nkind = \"calendar\"\nevent = \"{ev}\"\ncopy = true\ntimeout = \"2h\"\n[vars]\nev = \"E1\"\n",
    )
    .unwrap();
    let month = chain.step("month").unwrap();
    assert_eq!(month.action, Action::Calendar { event: "E1".into(), copy: true, notify: false });
    assert_eq!(month.wait.timeout, Duration::from_secs(2 * 3600));
    let missing = parse("[step.month]\nkind = \"calendar\"\ncopy = true\n").unwrap_err().to_string();
    assert!(missing.contains("event"), "{missing}");
    let unknown = parse("[step.month]\nkind = \"calendar\"\nevent = \"E1\"\nparams = { A = \"B\" }\n").unwrap_err();
    assert!(unknown.to_string().contains("unknown key `params`"), "{unknown}");
}

#[test]
fn import_steps_take_the_job_settings_and_multi_action_steps_allow_failed_steps() {
    let text = r#"
[step.facts]
kind = "import"
model = "SALES_PLAN"
file = "facts.csv"
execute_with_failed_rows = false
pivot = "4:Date:Amount"
date_formats = { Date = "MM.YYYY" }
reverse_sign = true
delimiter = ";"
clean_and_replace = ["Version", "Part"]

[step.copy]
kind = "multiaction"
multiaction = "t.G:MA_LOAD_ZEPPART"
allow_failed_steps = true
"#;
    let chain = parse(text).unwrap();
    let Action::Import(facts) = &chain.step("facts").unwrap().action else { panic!("an import") };
    assert_eq!(facts.job.execute_with_failed_rows, Some(false));
    assert_eq!(facts.job.pivot.as_ref().map(|p| p.pivot_column_start), Some(4));
    assert_eq!(facts.job.date_formats["Date"], "MM.YYYY");
    assert!(facts.job.reverse_sign);
    assert_eq!(facts.job.delimiter, Some(b';'));
    assert_eq!(
        (facts.method.as_deref(), facts.scope.as_slice()),
        (Some("CleanAndReplace"), &["Version".to_string(), "Part".to_string()][..])
    );
    let Action::MultiAction { allow_failed_steps, .. } = &chain.step("copy").unwrap().action else {
        panic!("a multi action")
    };
    assert!(allow_failed_steps);

    let wrong = |key: &str| format!("[step.f]\nkind = \"import\"\nmodel = \"M\"\nfile = \"f.csv\"\n{key}\n");
    for (line, says) in [
        ("pivot = \"4:Date\"", "START:KEY:VALUE"),
        ("type = \"privateFactData\"\ndate_formats = { Date = \"YYYYMM\" }", "factData jobs only"),
        ("delimiter = \"ab\"", "one character"),
        ("method = \"Append\"\nclean_and_replace = [\"Part\"]", "leave out --method"),
    ] {
        let errors = parse(&wrong(line)).expect_err(line).to_string();
        assert!(errors.contains(says), "{line}: {errors}");
    }
}

#[test]
fn an_export_step_takes_a_delta_name_but_not_with_select() {
    let chain = parse(
        "[step.changes]\nkind = \"export\"\nmodel = \"SALES_PLAN\"\nout = \"changes.csv\"\ndelta = \"nightly\"\n",
    )
    .unwrap();
    let Action::Export { delta, out, .. } = &chain.step("changes").unwrap().action else { panic!("an export") };
    assert_eq!((delta.as_deref(), out.as_path()), (Some("nightly"), Path::new("/chains/changes.csv")));
    let refused = parse(
        "[step.changes]\nkind = \"export\"\nmodel = \"SALES_PLAN\"\nout = \"c.csv\"\ndelta = \"n\"\nselect = \"Version\"\n",
    );
    assert!(refused.is_err(), "delta with select is refused");
}
