//! One row per documented fact of SAC's public APIs (the fidelity list: Data Export, Data Import,
//! token service and browser domain, and what already matched): the requests a client sends,
//! the status SAC answers and the fields that prove the fact. The table is in `facts.rs`; this
//! module runs it. Every row gets a fresh emulator; every step of a row is checked (setup steps
//! too); all rows run and the failures are reported together.

mod calendar;
mod dataexport_guide;
mod dataimport_guide;
mod delta;
mod facts;
mod multiactions_guide;

use std::collections::HashMap;

use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::Value;

use crate::support::*;

#[derive(Clone, Copy, Debug)]
pub enum Domain {
    /// The direct API domain (`--api-port`): bearer only, no CSRF.
    Api,
    /// The browser domain (`--port`): approuter, sessions and CSRF.
    Tenant,
}

#[derive(Clone, Copy, Debug)]
pub enum Auth {
    None,
    /// A client-credentials token of `sacctl-api`.
    Client,
    /// The same token plus a CSRF token and the session cookie it belongs to.
    Session,
    /// HTTP Basic client authentication (token service).
    Basic(&'static str, &'static str),
}

/// What must hold of an answer. Pointers are JSON pointers into the body.
pub enum Check {
    Json(&'static str, Value),
    Len(&'static str, usize),
    Has(&'static str),
    Lacks(&'static str),
    Body(&'static str),
    /// A header whose value starts with the given text.
    Header(&'static str, &'static str),
    /// A named property of the value at a pointer.
    Test(&'static str, &'static str, fn(&Value) -> bool),
}

pub struct Step {
    method: Method,
    domain: Domain,
    auth: Auth,
    /// A path on the domain, or (after `{var}` substitution) an absolute URL.
    path: String,
    body: Option<(Option<&'static str>, String)>,
    headers: Vec<(&'static str, &'static str)>,
    status: u16,
    checks: Vec<Check>,
    save: Vec<(&'static str, &'static str)>,
}

pub struct Fact {
    pub fact: &'static str,
    pub steps: Vec<Step>,
}

pub fn fact(fact: &'static str, steps: Vec<Step>) -> Fact {
    Fact { fact, steps }
}

fn step(method: Method, domain: Domain, auth: Auth, path: &str) -> Step {
    Step {
        method,
        domain,
        auth,
        path: path.into(),
        body: None,
        headers: vec![],
        status: 200,
        checks: vec![],
        save: vec![],
    }
}

pub fn get(domain: Domain, auth: Auth, path: &str) -> Step {
    step(Method::GET, domain, auth, path)
}

pub fn delete(domain: Domain, auth: Auth, path: &str) -> Step {
    step(Method::DELETE, domain, auth, path)
}

/// A POST with a body sent as given and the Content-Type given (none when `None`).
pub fn post(domain: Domain, auth: Auth, path: &str, content_type: Option<&'static str>, body: &str) -> Step {
    Step { body: Some((content_type, body.into())), ..step(Method::POST, domain, auth, path) }
}

pub fn post_json(domain: Domain, auth: Auth, path: &str, body: &str) -> Step {
    post(domain, auth, path, Some("application/json"), body)
}

impl Step {
    /// Sends this request header too.
    pub fn with(mut self, name: &'static str, value: &'static str) -> Self {
        self.headers.push((name, value));
        self
    }
    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }
    pub fn json(mut self, pointer: &'static str, value: Value) -> Self {
        self.checks.push(Check::Json(pointer, value));
        self
    }
    pub fn len(mut self, pointer: &'static str, len: usize) -> Self {
        self.checks.push(Check::Len(pointer, len));
        self
    }
    pub fn has(mut self, pointer: &'static str) -> Self {
        self.checks.push(Check::Has(pointer));
        self
    }
    pub fn lacks(mut self, pointer: &'static str) -> Self {
        self.checks.push(Check::Lacks(pointer));
        self
    }
    pub fn body(mut self, text: &'static str) -> Self {
        self.checks.push(Check::Body(text));
        self
    }
    pub fn header(mut self, name: &'static str, prefix: &'static str) -> Self {
        self.checks.push(Check::Header(name, prefix));
        self
    }
    pub fn test(mut self, pointer: &'static str, what: &'static str, f: fn(&Value) -> bool) -> Self {
        self.checks.push(Check::Test(pointer, what, f));
        self
    }
    /// Keeps the string (or number) at `pointer` as `{var}` for later steps.
    pub fn save(mut self, var: &'static str, pointer: &'static str) -> Self {
        self.save.push((var, pointer));
        self
    }
}

/// Tokens and the session of one row, fetched when a step first needs them.
#[derive(Default)]
struct Credentials {
    token: Option<String>,
    session: Option<Session>,
}

impl Credentials {
    async fn token(&mut self, emu: &Emu) -> String {
        if self.token.is_none() {
            self.token = Some(emu.client_credentials_token().await);
        }
        self.token.clone().unwrap()
    }

    async fn session(&mut self, emu: &Emu) -> Session {
        if self.session.is_none() {
            let token = self.token(emu).await;
            let r = emu.http.get(emu.tenant("/api/v1/csrf")).bearer_auth(token).header("x-csrf-token", "fetch");
            let r = r.send().await.unwrap();
            assert_eq!(r.status(), 200, "CSRF fetch");
            let csrf = r.headers()["x-csrf-token"].to_str().unwrap().to_string();
            let cookie = set_cookie(r.headers()).expect("a session cookie");
            self.session = Some(Session { csrf, cookie });
        }
        self.session.clone().unwrap()
    }
}

fn substitute(text: &str, vars: &HashMap<&str, String>) -> String {
    vars.iter().fold(text.to_string(), |t, (k, v)| t.replace(&format!("{{{k}}}"), v))
}

/// Runs one step; returns what went wrong, if anything.
async fn run_step(
    emu: &Emu,
    creds: &mut Credentials,
    vars: &mut HashMap<&'static str, String>,
    step: &Step,
) -> Result<(), String> {
    let path = substitute(&step.path, vars);
    let url = if path.starts_with("http") {
        path.clone()
    } else {
        match step.domain {
            Domain::Api => emu.api(&path),
            Domain::Tenant => emu.tenant(&path),
        }
    };
    let mut request = emu.http.request(step.method.clone(), &url);
    match step.auth {
        Auth::None => {}
        Auth::Client => request = request.bearer_auth(creds.token(emu).await),
        Auth::Session => {
            let session = creds.session(emu).await;
            request = request.bearer_auth(creds.token(emu).await);
            request = request.header("x-csrf-token", session.csrf).header("cookie", session.cookie);
        }
        Auth::Basic(id, secret) => request = request.basic_auth(id, Some(secret)),
    }
    for (name, value) in &step.headers {
        request = request.header(*name, substitute(value, vars));
    }
    if let Some((content_type, body)) = &step.body {
        if let Some(content_type) = content_type {
            request = request.header("content-type", *content_type);
        }
        request = request.body(substitute(body, vars));
    }
    let response = request.send().await.map_err(|e| format!("{} {path}: {e}", step.method))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let shown = || format!("{} {path} -> {status} {}", step.method, text.chars().take(600).collect::<String>());
    if status != step.status {
        return Err(format!("status {status}, expected {}: {}", step.status, shown()));
    }
    for check in &step.checks {
        if let Err(why) = verify(check, &json, &text, &headers) {
            return Err(format!("{why}: {}", shown()));
        }
    }
    for (var, pointer) in &step.save {
        let value = match json.pointer(pointer) {
            Some(Value::String(s)) => s.clone(),
            Some(v @ Value::Number(_)) => v.to_string(),
            _ => return Err(format!("nothing to keep at {pointer}: {}", shown())),
        };
        vars.insert(var, value);
    }
    Ok(())
}

fn verify(check: &Check, json: &Value, text: &str, headers: &HeaderMap) -> Result<(), String> {
    let at = |p: &str| json.pointer(p).cloned();
    match check {
        Check::Json(p, want) => match at(p) {
            Some(v) if &v == want => Ok(()),
            got => Err(format!("{p} is {got:?}, expected {want}")),
        },
        Check::Len(p, n) => match at(p) {
            Some(Value::Array(a)) if a.len() == *n => Ok(()),
            Some(Value::Array(a)) => Err(format!("{p} has {} items, expected {n}", a.len())),
            got => Err(format!("{p} is {got:?}, expected an array of {n}")),
        },
        Check::Has(p) => at(p).map(|_| ()).ok_or(format!("{p} is missing")),
        Check::Lacks(p) => at(p).map_or(Ok(()), |v| Err(format!("{p} is {v}, expected nothing"))),
        Check::Body(s) => text.contains(s).then_some(()).ok_or(format!("body lacks {s:?}")),
        Check::Header(name, prefix) => {
            let values: Vec<&str> = headers.get_all(*name).iter().filter_map(|v| v.to_str().ok()).collect();
            values
                .iter()
                .any(|v| v.starts_with(prefix))
                .then_some(())
                .ok_or(format!("header {name} is {values:?}, expected it to start with {prefix:?}"))
        }
        Check::Test(p, what, f) => match at(p) {
            Some(v) if f(&v) => Ok(()),
            got => Err(format!("{p} is not {what}: {}", got.map_or("missing".into(), |v| v.to_string()))),
        },
    }
}

#[tokio::test]
async fn every_documented_fact_holds() {
    let mut facts: Vec<Fact> = facts::all().into_iter().chain(dataimport_guide::facts()).collect();
    facts.extend(multiactions_guide::facts());
    facts.extend(calendar::facts());
    facts.extend(dataexport_guide::facts());
    facts.extend(delta::facts());
    let mut failures = Vec::new();
    for fact in &facts {
        let emu = start().await;
        let (mut creds, mut vars) = (Credentials::default(), HashMap::new());
        for (i, step) in fact.steps.iter().enumerate() {
            if let Err(why) = run_step(&emu, &mut creds, &mut vars, step).await {
                failures.push(format!("{} (step {}): {why}", fact.fact, i + 1));
                break;
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} facts fail:\n{}", failures.len(), facts.len(), failures.join("\n"));
}
