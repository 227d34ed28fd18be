//! A chain file: TOML with `[vars]` and one `[step.NAME]` table per step.
//! Reading it checks everything that can be checked without SAC (keys,
//! kinds, types, durations, variables, `needs`, cycles) and reports each
//! problem at its file, line and column.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sac_client::multiaction::Param;

use crate::ops::import::settings::{self, JobFlags};
use sac_client::schedule::IfRunning;
use serde::Deserialize;
use toml::{Spanned, Value};

use super::command::Program;
use super::cycle::find_cycle;
use super::diag::{Diagnostic, Diagnostics, Source};
use super::reader::{StepReader, Table};
use crate::ops::import::Push;
use crate::ops::wait::{RunWaiting, Waiting};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChain {
    #[serde(default)]
    vars: Table,
    #[serde(default)]
    step: BTreeMap<Spanned<String>, Spanned<Table>>,
}

/// The kinds of step, named as in the file.
pub const KINDS: &[&str] = &["schedule", "multiaction", "import", "export", "wait", "command", "calendar"];

/// What to do when a step does not succeed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    /// Start no further step (steps in flight are waited for).
    Stop,
    /// Go on with every step that does not need this one.
    Continue,
}

/// How long and how to wait for a step's run in SAC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitOptions {
    pub timeout: Duration,
    pub poll_interval: Duration,
    pub appear_timeout: Duration,
    pub warnings_ok: bool,
}

impl WaitOptions {
    /// How to wait for a job known as soon as it starts (an import).
    pub fn waiting(&self) -> Waiting {
        Waiting { timeout: self.timeout, poll_interval: self.poll_interval, warnings_ok: self.warnings_ok }
    }

    /// How to wait for a schedule run or a multi action execution.
    pub fn run_waiting(&self) -> RunWaiting {
        RunWaiting { waiting: self.waiting(), appear_timeout: self.appear_timeout }
    }
}

/// What a step does (the options of its sacctl command).
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Schedule {
        schedule: String,
        model: Option<String>,
        mapping: Option<String>,
        if_running: IfRunning,
    },
    MultiAction {
        id: String,
        params: Vec<Param>,
        /// `allow_failed_steps`: a `warning` execution whose step failed is a success.
        allow_failed_steps: bool,
    },
    Import(Box<Push>),
    Export {
        model: String,
        filter: Option<String>,
        select: Option<String>,
        out: PathBuf,
        /// A named delta subscription (`sacctl export --delta NAME`).
        delta: Option<String>,
    },
    /// A pause.
    Pause(Duration),
    /// Wait for a run of a data import started elsewhere (the newest, or `execution`).
    WaitSchedule {
        schedule: String,
        model: String,
        execution: Option<String>,
    },
    /// Wait for a multi action execution started elsewhere.
    WaitMultiAction {
        id: String,
        execution: String,
        allow_failed_steps: bool,
    },
    /// Run a local program (no shell).
    Command(Program),
    /// Run a calendar event (a process with its child events): a copy of
    /// it (`copy`), or the event opened again.
    Calendar {
        event: String,
        copy: bool,
        notify: bool,
    },
}

/// One step, checked, with its variables replaced.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub name: String,
    pub kind: &'static str,
    pub needs: Vec<String>,
    pub retries: u32,
    pub retry_delay: Duration,
    pub on_failure: OnFailure,
    pub profile: Option<String>,
    pub wait: WaitOptions,
    pub action: Action,
    /// Where its table starts (line, column).
    pub position: (usize, usize),
}

/// A checked chain: its steps in file order.
#[derive(Clone, Debug, PartialEq)]
pub struct Chain {
    pub path: PathBuf,
    pub vars: BTreeMap<String, String>,
    pub steps: Vec<Step>,
}

impl Chain {
    pub fn step(&self, name: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.name == name)
    }

    /// Reads and checks `path`; `overrides` are the `--var` values.
    pub fn load(path: &Path, overrides: &BTreeMap<String, String>) -> Result<Chain, Diagnostics> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Diagnostics(vec![Diagnostic {
                file: path.to_path_buf(),
                line: 1,
                column: 1,
                message: format!("cannot read the chain file: {e}"),
            }])
        })?;
        Chain::parse(path, &text, overrides)
    }

    /// Checks the text of a chain file that lives at `path`.
    pub fn parse(path: &Path, text: &str, overrides: &BTreeMap<String, String>) -> Result<Chain, Diagnostics> {
        let src = Source { file: path, text };
        let raw: RawChain = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            Diagnostics(vec![src.at(&span, e.message().trim_end().replace('\n', "; "))])
        })?;
        let mut errors = Vec::new();
        let mut vars = BTreeMap::new();
        for (name, value) in &raw.vars {
            let text = match value.get_ref() {
                Value::String(s) => s.clone(),
                Value::Integer(i) => i.to_string(),
                Value::Float(f) => f.to_string(),
                Value::Boolean(b) => b.to_string(),
                _ => {
                    errors.push(src.at(&value.span(), format!("variable `{}` must be a string", name.get_ref())));
                    continue;
                }
            };
            vars.insert(name.get_ref().clone(), text);
        }
        vars.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut steps = Vec::new();
        let mut needs_spans = BTreeMap::new();
        let mut all_needs = Vec::new();
        for (name, table) in &raw.step {
            let mut reader = StepReader::new(&src, name, table.get_ref(), &vars, &dir);
            if let Some(step) = reader.step() {
                steps.push(step);
            }
            needs_spans.insert(name.get_ref().clone(), reader.needs_span.clone());
            all_needs.push((name.get_ref().clone(), reader.needs.clone()));
            errors.extend(reader.errors);
        }
        steps.sort_by_key(|s| s.position);
        if raw.step.is_empty() {
            errors.push(src.at(&(0..0), "the chain has no steps: add a [step.NAME] table with a kind"));
        }
        let declared: BTreeSet<&str> = raw.step.keys().map(|k| k.get_ref().as_str()).collect();
        for (name, needs) in &all_needs {
            let span = &needs_spans[name];
            for need in needs {
                if need == name {
                    errors.push(src.at(&src.find(span, &format!("\"{need}\"")), format!("step `{need}` needs itself")));
                } else if !declared.contains(need.as_str()) {
                    errors.push(src.at(
                        &src.find(span, &format!("\"{need}\"")),
                        format!(
                            "step `{name}` needs `{need}`, which is not a step of this chain (steps: {})",
                            declared.iter().copied().collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
            }
        }
        if let Some(cycle) = find_cycle(&all_needs).filter(|c| c.len() > 2) {
            let first = &cycle[0];
            let span = src.find(&needs_spans[first], &format!("\"{}\"", cycle[1]));
            errors.push(src.at(&span, format!("the steps form a cycle: {}", cycle.join(" -> "))));
        }
        if errors.is_empty() {
            Ok(Chain { path: path.to_path_buf(), vars, steps })
        } else {
            errors.sort_by_key(|d| (d.line, d.column));
            Err(Diagnostics(errors))
        }
    }
}

impl StepReader<'_> {
    fn step(&mut self) -> Option<Step> {
        let name = self.name.get_ref().clone();
        let kind_value = self.get("kind");
        let kind = match kind_value.map(|v| (v.get_ref(), v.span())) {
            None => {
                let span = self.name.span();
                self.error(&span, format!("step `{name}` has no `kind` (one of: {})", KINDS.join(", ")));
                None
            }
            Some((Value::String(k), span)) => match KINDS.iter().find(|known| *known == k) {
                Some(known) => Some(*known),
                None => {
                    self.error(&span, format!("unknown kind {k:?} (kinds: {})", KINDS.join(", ")));
                    None
                }
            },
            Some((_, span)) => {
                self.error(&span, format!("`kind` must be a string, one of: {}", KINDS.join(", ")));
                None
            }
        };
        if let Some(value) = self.get("needs") {
            self.needs_span = value.span();
            self.needs = self.strings("needs").unwrap_or_default();
        }
        let needs = self.needs.clone();
        let retries = self.count("retries").unwrap_or(0).min(u64::from(u32::MAX)) as u32;
        let retry_delay = self.duration("retry_delay", Duration::from_secs(10));
        let on_failure = match self.get("on_failure") {
            None => OnFailure::Stop,
            Some(v) => match v.get_ref().as_str() {
                Some("stop") => OnFailure::Stop,
                Some("continue") => OnFailure::Continue,
                _ => {
                    self.error(&v.span(), "`on_failure` must be \"stop\" or \"continue\"");
                    OnFailure::Stop
                }
            },
        };
        let profile = self.string("profile");
        let wait = WaitOptions {
            timeout: self.duration("timeout", Duration::from_secs(30 * 60)),
            poll_interval: self.duration("poll_interval", Duration::from_secs(5)),
            appear_timeout: self.duration("appear_timeout", Duration::from_secs(60)),
            warnings_ok: self.boolean("warnings_ok"),
        };
        let action = match kind {
            Some("schedule") => self.schedule(),
            Some("multiaction") => self.multiaction(),
            Some("import") => self.import(),
            Some("export") => self.export(),
            Some("wait") => self.wait(),
            Some("command") => self.command(),
            Some("calendar") => self.calendar(),
            _ => None,
        };
        if let Some(kind) = kind {
            let unknown: Vec<_> = self
                .table
                .iter()
                .filter(|(k, _)| !self.taken.contains(&k.get_ref().as_str()))
                .map(|(k, _)| k)
                .collect();
            let mut keys: Vec<&str> = Vec::new();
            for key in &self.taken {
                if !keys.contains(key) {
                    keys.push(key);
                }
            }
            for key in unknown {
                let message = format!(
                    "unknown key `{}` in step `{name}` of kind {kind} (it takes: {})",
                    key.get_ref(),
                    keys.join(", ")
                );
                self.error(&key.span(), message);
            }
        }
        let position = self.src.position(self.name.span().start);
        Some(Step {
            name,
            kind: kind?,
            needs,
            retries,
            retry_delay,
            on_failure,
            profile,
            wait,
            action: action?,
            position,
        })
        .filter(|_| self.errors.is_empty())
    }

    fn schedule(&mut self) -> Option<Action> {
        let schedule = self.required("schedule", "the data import id");
        let model = self.string("model");
        let mapping = self.string("mapping");
        let if_running = match self.get("if_running") {
            None => IfRunning::Fail,
            Some(v) => match v.get_ref().as_str() {
                Some("fail") => IfRunning::Fail,
                Some("wait") => IfRunning::Wait,
                Some("start") => IfRunning::Start,
                _ => {
                    self.error(&v.span(), "`if_running` must be \"fail\", \"wait\" or \"start\"");
                    IfRunning::Fail
                }
            },
        };
        if model.is_none() && mapping.is_none() && self.get("model").is_none() {
            let span = self.name.span();
            self.error(&span, "a schedule step needs `model` (t.<TENANT>:<ID>) or `mapping`");
        }
        Some(Action::Schedule { schedule: schedule?, model, mapping, if_running })
    }

    fn multiaction(&mut self) -> Option<Action> {
        let id = self.required("multiaction", "<package>:<object>, e.g. t.G:MA_LOAD_ZEPPART");
        let params =
            self.pairs("params").unwrap_or_default().into_iter().map(|(id, members)| Param { id, members }).collect();
        let allow_failed_steps = self.boolean("allow_failed_steps");
        Some(Action::MultiAction { id: id?, params, allow_failed_steps })
    }

    fn import(&mut self) -> Option<Action> {
        let model = self.required("model", "the model id or name");
        let file = self.path("file");
        if self.table.keys().all(|k| k.get_ref() != "file") {
            let span = self.name.span();
            self.error(&span, "an import step needs `file` (a CSV or JSON file, relative to the chain file)");
        }
        let import_type = self.string("type").unwrap_or_else(|| "factData".into());
        let mapping = self.single_pairs("mapping");
        let defaults = self.single_pairs("defaults");
        let method = self.string("method");
        let scope = self.strings("scope").unwrap_or_default();
        let chunk_rows = self.count("chunk_rows").unwrap_or(50_000).max(1) as usize;
        let parallel = self.count("parallel").unwrap_or(2).max(1) as usize;
        let max_failed_rows = self.count("max_failed_rows");
        let rejects_out = self.path("rejects_out");
        let dry_run = self.boolean("dry_run");
        let ignore_additional_columns = self.boolean("ignore_additional_columns");
        let is_json = file.as_ref().is_some_and(|f| f.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")));
        let (job, method, scope) = self.job_settings(&import_type, is_json, method, scope);
        Some(Action::Import(Box::new(Push {
            model: model?,
            import_type,
            file: file?,
            mapping,
            defaults,
            method,
            scope,
            chunk_rows,
            parallel,
            max_failed_rows,
            rejects_out,
            dry_run,
            ignore_additional_columns,
            job,
            conversion: None,
            deleted_data: None,
        })))
    }

    /// The job-setting keys of an import step, checked as `import push`
    /// checks its flags; a wrong one is an error at its key.
    fn job_settings(
        &mut self,
        import_type: &str,
        is_json: bool,
        method: Option<String>,
        scope: Vec<String>,
    ) -> (JobFlags, Option<String>, Vec<String>) {
        let span_of = |this: &Self, key: &str| {
            this.table.iter().find(|(k, _)| k.get_ref() == key).map(|(_, v)| v.span()).unwrap_or(this.name.span())
        };
        let report = |this: &mut Self, key: &str, failure: crate::failure::Failure| {
            let span = span_of(this, key);
            this.error(&span, format!("{:#}", failure.error));
        };
        let mut job = JobFlags::default();
        if self.get("execute_with_failed_rows").is_some() {
            job.execute_with_failed_rows = Some(self.boolean("execute_with_failed_rows"));
        }
        job.reverse_sign = self.boolean("reverse_sign");
        if let Some(text) = self.string("pivot") {
            match settings::pivot(&text) {
                Ok(p) => job.pivot = Some(p),
                Err(f) => report(self, "pivot", f),
            }
        }
        if let Some(text) = self.string("delimiter") {
            match settings::delimiter(&text) {
                Ok(d) => job.delimiter = Some(d),
                Err(f) => report(self, "delimiter", f),
            }
        }
        let formats = self.single_pairs("date_formats");
        match settings::date_formats(&formats) {
            Ok(f) => job.date_formats = f,
            Err(f) => report(self, "date_formats", f),
        }
        if let Err(f) = settings::check(&job, import_type, is_json) {
            report(self, "type", f);
        }
        let dims = self.strings("clean_and_replace").unwrap_or_default();
        match settings::clean_and_replace(dims, method.clone(), scope.clone()) {
            Ok((method, scope)) => (job, method, scope),
            Err(f) => {
                report(self, "clean_and_replace", f);
                (job, method, scope)
            }
        }
    }

    fn export(&mut self) -> Option<Action> {
        let model = self.required("model", "the model id or name");
        let filter = self.string("filter");
        let select = self.strings("select").map(|s| s.join(","));
        let out = self.path("out");
        if self.table.keys().all(|k| k.get_ref() != "out") {
            let span = self.name.span();
            self.error(&span, "an export step needs `out` (the CSV file to write, relative to the chain file)");
        }
        let delta = self.string("delta");
        if delta.is_some() && select.is_some() {
            let span = self.name.span();
            self.error(&span, "an export step with `delta` writes every column: leave out `select`");
        }
        Some(Action::Export { model: model?, filter, select, out: out?, delta })
    }

    fn wait(&mut self) -> Option<Action> {
        let duration = self.get("duration").map(|_| self.duration("duration", Duration::ZERO));
        let schedule = self.string("schedule");
        let multiaction = self.string("multiaction");
        let model = self.string("model");
        let execution = self.string("execution");
        let span = self.name.span();
        match (duration, schedule, multiaction) {
            (Some(d), None, None) => Some(Action::Pause(d)),
            (None, Some(schedule), None) => match model {
                Some(model) => Some(Action::WaitSchedule { schedule, model, execution }),
                None => {
                    self.error(&span, "a wait step on a schedule needs `model` (t.<TENANT>:<ID>)");
                    None
                }
            },
            (None, None, Some(id)) => match execution {
                Some(execution) => {
                    let allow_failed_steps = self.boolean("allow_failed_steps");
                    Some(Action::WaitMultiAction { id, execution, allow_failed_steps })
                }
                None => {
                    self.error(&span, "a wait step on a multi action needs `execution`");
                    None
                }
            },
            _ => {
                self.error(
                    &span,
                    "a wait step takes exactly one of `duration` (a pause), `schedule` (with `model`) or `multiaction` (with `execution`)",
                );
                None
            }
        }
    }

    fn calendar(&mut self) -> Option<Action> {
        let event = self.required("event", "the calendar event id of the process to run");
        let copy = self.boolean("copy");
        let notify = self.boolean("notify");
        Some(Action::Calendar { event: event?, copy, notify })
    }

    fn command(&mut self) -> Option<Action> {
        const SHAPE: &str = "an array of strings, the program and then each argument, e.g. \
                             run = [\"/usr/local/bin/bw-trigger\", \"ZEPPART\"] (no shell reads it)";
        let run = match self.get("run") {
            None => {
                let (span, name) = (self.name.span(), self.name.get_ref().clone());
                self.error(&span, format!("step `{name}` needs `run` ({SHAPE})"));
                None
            }
            Some(value) => match value.get_ref() {
                Value::Array(items) if items.is_empty() => {
                    self.error(&value.span(), format!("`run` is empty: it takes {SHAPE}"));
                    None
                }
                Value::Array(_) => self.string_items(value.get_ref(), &value.span(), "run"),
                other => {
                    self.error(&value.span(), format!("`run` must be {SHAPE}, not {}", other.type_str()));
                    None
                }
            },
        };
        let env = self.single_pairs("env");
        if let Some(value) = self.get("env") {
            for name in env.keys().filter(|k| k.is_empty() || k.contains(['=', '\0'])) {
                let at = self.src.find(&value.span(), name);
                self.error(&at, format!("`env` names a variable {name:?}, which no environment can hold"));
            }
        }
        let workdir = self.path("workdir").unwrap_or_else(|| self.dir.to_path_buf());
        let mut run = run?;
        // A relative program path with a directory in it is relative to the
        // chain file, as every path of the file; a bare name is looked up in PATH.
        if run[0].contains('/') && Path::new(&run[0]).is_relative() {
            run[0] = self.dir.join(&run[0]).to_string_lossy().into_owned();
        }
        Some(Action::Command(Program { run, env, workdir }))
    }
}
