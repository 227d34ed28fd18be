//! Typed errors that carry SAC's own words and say what to do.

use std::time::Duration;

use sac_types::dataimport::errors;

/// What kind of failure an error is, for callers that map errors to exit
/// codes or retry decisions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    /// Authentication or authorization failed.
    Auth,
    /// The target (model, schedule, execution) does not exist.
    NotFound,
    /// The job cannot succeed as it is (nothing valid to write).
    JobFailed,
    /// A run of the target is already in progress.
    AlreadyRunning,
    /// SAC could not be reached, or kept failing, or its answer was unusable.
    Unreachable,
    /// The wait's time (`--timeout`) ran out; what was waited for goes on.
    TimedOut,
    /// The configuration or the request is wrong.
    Usage,
}

/// Messages never repeat their `#[source]`: callers print the cause chain
/// (sacctl: one "caused by" line per cause), so a cause in the message
/// would be printed twice.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The HTML login page, with any status (SAC often sends it with 200).
    #[error("SAC answered {endpoint} with its HTML login page instead of JSON: the call was not authenticated for this service")]
    LoginPage { endpoint: String, grant: String },

    #[error("SAC error 3000: {message}")]
    UserNotInTenant { message: String, grant: String, user: Option<String> },

    #[error("{api} run under a business user, and the {grant} grant gives a token without one")]
    NeedsUser { api: String, grant: String },

    #[error("SAC error 3401: {message}")]
    ClientNotAllowed { message: String },

    #[error("the token service refused the {grant} grant: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    OAuth { status: u16, error: String, description: Option<String>, grant: String },

    #[error("SAC refused the access token (HTTP {status}: {description}), also after getting a new one")]
    Unauthorized { status: u16, description: String },

    #[error("SAC refused the CSRF token (HTTP 403, x-csrf-token: Required), also after fetching a new one")]
    Csrf,

    #[error("SAC refused the request (HTTP {status}): {message}")]
    Forbidden { status: u16, message: String },

    #[error("{what} not found: {message}")]
    NotFound { what: String, message: String },

    #[error("a run of data import {schedule_id} is already in progress (execution {execution_id})")]
    AlreadyRunning { schedule_id: String, execution_id: String },

    #[error("SAC rejected the request (HTTP {status}): {message}")]
    Rejected { status: u16, message: String },

    /// The Data Export API refused a query (its options or the set asked
    /// for); `number` is SAC's error number from the message (`[1402]`).
    #[error("the Data Export API refused the query (HTTP {status}): {message}")]
    ExportQuery { status: u16, number: Option<u32>, message: String },
    /// One of the Data Import API's numbered errors (1001-1011, and 1603
    /// for a job id no job has).
    #[error("SAC error {code}: {message}")]
    ImportRefused { code: u32, message: String },

    /// A refusal of the Multi Actions API in SAC's message format, with its
    /// nine-digit code `sccxxxyyy` (599000999 bad body, 596000998 no right,
    /// 596000996 not found).
    #[error("SAC refused the multi action request (HTTP {status}): {message}")]
    MultiActionRefused { status: u16, code: u32, message: String },

    #[error("SAC kept answering HTTP {status} ({} in {:.1} s): {message}", count(*attempts, "attempt"), elapsed.as_secs_f64())]
    Unavailable { status: u16, attempts: u32, elapsed: Duration, message: String },

    #[error("cannot reach {url} ({})", count(*attempts, "attempt"))]
    Transport {
        url: String,
        attempts: u32,
        #[source]
        source: reqwest::Error,
    },

    #[error("SAC's answer to {context} is not what was expected: {problem}; it began with: {snippet}")]
    Decode { context: String, problem: String, snippet: String },

    /// An answer longer than sacctl reads for its kind (see
    /// `http::Limit`): a broken or hostile server, proxy or gzip bomb.
    #[error("{what} from {endpoint} is larger than {}: sacctl stopped reading it", size(*limit))]
    AnswerTooLarge { what: &'static str, endpoint: String, limit: usize },

    /// A wait's time (`--timeout`) ran out while a status read was still
    /// unanswered (a server that hangs, or retries that went on): the wait
    /// ends at its deadline; what it waited for may still be running.
    #[error("gave up waiting after {:.1} s: {what} had not answered by then", waited.as_secs_f64())]
    WaitTimedOut { what: String, waited: Duration },

    #[error("it is unknown whether data import {schedule_id} started: {reason}")]
    TriggerUnknown { schedule_id: String, reason: String },

    #[error(
        "data import {schedule_id} started, but which run is ours cannot be told: runs {} all fit the trigger (user and time)",
        candidates.iter().map(|r| r.execution_id.as_str()).collect::<Vec<_>>().join(", ")
    )]
    RunAmbiguous { model: String, schedule_id: String, candidates: Vec<sac_types::legacy::RefreshLog> },

    #[error("the lock file {path} cannot be used")]
    Lock {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("invalid configuration: {0}")]
    Config(String),

    /// A data file (CSV or JSON rows) that cannot be used as it is.
    #[error("data file {file}, line {line}, column {column}: {message}")]
    DataFile { file: String, line: u64, column: u64, message: String },

    #[error("the token cache {path} cannot be used")]
    Cache {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("no usable login: {0}")]
    Login(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// "64 KiB", "32 MiB".
fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// "1 attempt", "3 attempts".
fn count(n: u32, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// What to do about a numbered Data Import error (SAP's "Action", in
/// sacctl's terms).
fn import_hint(code: u32) -> &'static str {
    match code {
        errors::ACTION_NOT_SUPPORTED => {
            "the job has ended (COMPLETED or FAILED) and takes no more requests: push again into a new job"
        }
        errors::USER_JOB_LIMIT => {
            "this identity has as many open jobs as SAC allows: `sacctl import jobs` lists them; run them or \
             delete the stale ones with `sacctl import delete JOB`"
        }
        errors::MODEL_JOB_LIMIT => {
            "the model has as many open jobs (of all users) as SAC allows: run or delete some \
             (`sacctl import jobs` lists yours; see SAP Note 3491183)"
        }
        errors::PRECONDITION_FAILED => {
            "the job changed meanwhile (another process validated or ran it): `sacctl import status JOB` shows it"
        }
        errors::UNKNOWN_TARGET_FIELD => {
            "the mapping or dimensionScope names a column the model does not have: `sacctl models show MODEL` \
             lists its columns"
        }
        errors::IMPORT_TYPE_NOT_INFERABLE => "name the import type (for a model: factData or privateFactData)",
        errors::BAD_BODY | errors::MAPPING_NOT_READABLE | errors::EMPTY_MAPPING_COLUMN => {
            "check the mapping (--map MODEL_COLUMN=FILE_COLUMN, both names non-empty) and the data file"
        }
        errors::IN_PROGRESS => "the job is being written: wait for it (`sacctl import status JOB`)",
        errors::NO_VALID_RECORDS => {
            "no row of the job is valid, so SAC writes nothing: `sacctl import invalid-rows JOB` says why each failed"
        }
        errors::JOB_NOT_FOUND => {
            "no such job: check the job id; `sacctl import jobs` lists the jobs of this identity (a deleted job is \
             gone)"
        }
        WRITE_CANCELLED => {
            "the job was created with executeWithFailedRows false (--no-execute-with-failed-rows) and has invalid \
             rows, so SAC cancelled the write: fix the rows (`sacctl import invalid-rows JOB` says why each \
             failed) or push without that flag"
        }
        _ => "see SAP's Data Import API error codes (\"Error Codes and Troubleshooting\")",
    }
}

/// Data Import's 2903: the run of a job created with `executeWithFailedRows:
/// false` found invalid rows and wrote nothing (SAP's guide, `fe6efb8a`).
pub const WRITE_CANCELLED: u32 = 2903;

impl Error {
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::LoginPage { .. }
            | Error::NeedsUser { .. }
            | Error::UserNotInTenant { .. }
            | Error::ClientNotAllowed { .. }
            | Error::OAuth { .. }
            | Error::Unauthorized { .. }
            | Error::Csrf
            | Error::Forbidden { .. }
            | Error::Login(_) => ErrorClass::Auth,
            Error::NotFound { .. } | Error::ExportQuery { status: 404, .. } => ErrorClass::NotFound,
            Error::AlreadyRunning { .. } => ErrorClass::AlreadyRunning,
            Error::ImportRefused { code, .. } => match *code {
                errors::IN_PROGRESS => ErrorClass::AlreadyRunning,
                errors::NO_VALID_RECORDS | WRITE_CANCELLED => ErrorClass::JobFailed,
                errors::JOB_NOT_FOUND => ErrorClass::NotFound,
                _ => ErrorClass::Usage,
            },
            // The documented codes first (their cc, 96, is not in the guide's
            // category table), then by category cc of sccxxxyyy: 97 technical,
            // 98 authorization or existence, 99 request format.
            Error::MultiActionRefused { code, .. } => match (*code, code / 1_000_000 % 100) {
                (MA_NOT_FOUND, _) => ErrorClass::NotFound,
                (MA_NOT_AUTHORIZED, _) | (_, 98) => ErrorClass::Auth,
                (_, 97) => ErrorClass::Unreachable,
                _ => ErrorClass::Usage,
            },
            Error::Unavailable { .. }
            | Error::Transport { .. }
            | Error::Decode { .. }
            | Error::AnswerTooLarge { .. }
            | Error::TriggerUnknown { .. }
            | Error::RunAmbiguous { .. } => ErrorClass::Unreachable,
            Error::WaitTimedOut { .. } => ErrorClass::TimedOut,
            Error::Rejected { .. }
            | Error::ExportQuery { .. }
            | Error::Config(_)
            | Error::DataFile { .. }
            | Error::Cache { .. }
            | Error::Lock { .. } => ErrorClass::Usage,
        }
    }

    /// What to do about it, one sentence per hint.
    pub fn hints(&self) -> Vec<String> {
        let user_grants =
            "create an OAuth client with purpose Interactive Usage and run `sacctl login` (authorization code), \
                           or use the SAML bearer grant (SACCTL_GRANT=saml2_bearer) for a real SAC user";
        match self {
            Error::LoginPage { grant, .. } if grant == "client_credentials" => vec![
                "this service (SAC's UI layer, /sap/fpa/...) needs a user context; a client-credentials token has no user, \
                 so SAC's approuter sends it to the login page"
                    .into(),
                format!("this call used the client_credentials grant: {user_grants}"),
            ],
            Error::LoginPage { grant, .. } => vec![
                format!(
                    "the token ({grant} grant) was not accepted for the browser domain: check that SACCTL_TENANT_URL and \
                     SACCTL_TOKEN_URL belong to the same tenant and region"
                ),
                "run `sacctl auth doctor` to check the whole chain".into(),
            ],
            Error::UserNotInTenant { grant, user, .. } => {
                let who = user.as_deref().map(|u| format!(" ({u})")).unwrap_or_default();
                let mut hints = vec![format!(
                    "the caller{who} is authenticated but has no SAC user in this tenant"
                )];
                hints.push(match grant.as_str() {
                    "client_credentials" => format!("a client-credentials token belongs to no user: {user_grants}"),
                    "saml2_bearer" => "with SAML/SSO the assertion's NameID must be the user's SAC user ID (or the attribute SAC maps users by)".into(),
                    _ => "ask a SAC administrator to create the user (Security > Users) or use a user that exists".into(),
                });
                hints
            }
            Error::NeedsUser { .. } => vec![
                format!("SAP: multi action APIs are conducted under business user context; {user_grants}"),
            ],
            Error::ClientNotAllowed { .. } => vec![
                "add the API (e.g. Data Import Service) to the OAuth client's Access list in System > Administration > App Integration".into(),
            ],
            Error::OAuth { error, grant, .. } => vec![match (error.as_str(), grant.as_str()) {
                ("invalid_client", _) | ("unauthorized", _) => {
                    "check SACCTL_CLIENT_ID and the client secret against System > Administration > App Integration \
                     (the secret is shown only when the client is created)"
                        .into()
                }
                ("unauthorized_client", g) => format!(
                    "the OAuth client does not allow the {g} grant: change the client's grant types, or choose another grant (SACCTL_GRANT)"
                ),
                ("unsupported_grant_type", _) => {
                    "the token URL may be wrong: use the 'Token URL' shown in App Integration".into()
                }
                ("invalid_grant", "password") => "check SACCTL_USER and the password".into(),
                ("invalid_grant", "saml2_bearer") => {
                    "the SAML assertion was refused: check its issuer (a trusted IdP), audience and validity period".into()
                }
                ("invalid_grant", _) => "the stored login is no longer valid: run `sacctl login` again".into(),
                _ => "run `sacctl auth doctor` to check the OAuth settings".into(),
            }],
            Error::Unauthorized { .. } => vec![
                "the token URL may belong to another tenant or region than the tenant URL (they must match)".into(),
                "run `sacctl auth doctor` to check the whole chain".into(),
            ],
            Error::Csrf => vec![
                "SAC binds the CSRF token to its session cookie: a proxy that drops cookies breaks this".into(),
                "the direct API domain (SACCTL_API_URL, https://<tenant>.api.<region>.sapanalytics.cloud) needs no CSRF token".into(),
            ],
            Error::Forbidden { .. } => vec!["the user lacks the SAC permission for this action: ask a SAC administrator".into()],
            Error::NotFound { what, .. } => vec![match what.as_str() {
                "model" => "check the model id or name; `sacctl models list` lists the models".into(),
                "job" => "check the job id; `sacctl import jobs` lists the jobs of this identity".into(),
                other => format!("check the {other} id"),
            }],
            Error::AlreadyRunning { schedule_id, execution_id } => vec![
                format!("wait for run {execution_id} of data import {schedule_id} to end before starting it again"),
                "or use --if-running wait (start after it) or --if-running start (SAC then stops both runs)".into(),
            ],
            Error::Rejected { .. } => {
                vec!["check the ids and options given; the same command with -v shows the requests".into()]
            }
            Error::ExportQuery { number: Some(1402), .. } => vec![
                "SAC requires every dimension of the model in $select (--select): add the ones the message names, \
                 or leave --select out for all columns"
                    .into(),
            ],
            Error::ExportQuery { number: Some(1401), .. } => vec![
                "--select names a column the entity set does not have: `sacctl export` without --select writes every column \
                 in the set's order"
                    .into(),
            ],
            Error::ExportQuery { number: Some(1405), .. } => vec![
                "--orderby takes columns each followed by asc or desc only, e.g. --orderby \"Date desc,Part asc\"".into(),
            ],
            Error::ExportQuery { number: Some(3707), .. } => vec![
                "the model has no such entity set: its service document (GET …/providers/sac/<model>/) lists them".into(),
            ],
            Error::ExportQuery { .. } => vec![
                "check --filter and --orderby (OData v4): text in single quotes (Version eq 'public.Plan'), \
                 measures with numbers (Amount gt 100), eq ne gt ge lt le, and or not, parentheses, \
                 contains(Part,'P0') startswith endswith; --orderby \"Date desc,Part\""
                    .into(),
            ],
            Error::ImportRefused { code, .. } => vec![import_hint(*code).into()],
            Error::MultiActionRefused { code, .. } => vec![multi_action_hint(*code).into()],
            Error::Unavailable { status: 429, .. } => {
                vec!["SAC is rate limiting: try again later or poll less often (--poll-interval)".into()]
            }
            Error::Unavailable { .. } => vec![
                "SAC is having trouble: try again later; a run already started keeps running in SAC".into(),
            ],
            Error::Transport { .. } => vec![
                "check the URL, the network and the proxy (HTTPS_PROXY, NO_PROXY) and, for TLS errors, the CA bundle (SACCTL_CA_BUNDLE)".into(),
            ],
            Error::Decode { .. } => vec![
                "the URL may point at something that is not SAC (a proxy or portal page): check SACCTL_TENANT_URL and SACCTL_TOKEN_URL".into(),
            ],
            Error::AnswerTooLarge { .. } => vec![
                "SAC never sends that much for this kind of answer: the URL may point at something that is not SAC, \
                 or a proxy or the server is broken; check SACCTL_TENANT_URL, SACCTL_API_URL and SACCTL_TOKEN_URL \
                 and try again later"
                    .into(),
                "for an export, SAC pages the rows itself: fewer columns (--select) or rows (--filter) per run make pages smaller".into(),
            ],
            Error::WaitTimedOut { .. } => vec![
                "SAC (or a proxy) did not answer the status read in time; the job keeps running in SAC: \
                 wait for it again later, and `-v` shows which request hung"
                    .into(),
            ],
            Error::TriggerUnknown { schedule_id, .. } => vec![format!(
                "look at the schedule's logs before triggering {schedule_id} again: SAC stops both runs when a second one starts"
            )],
            Error::RunAmbiguous { model, schedule_id, candidates } => vec![
                format!(
                    "another host or session (same user) started data import {schedule_id} at the same time; \
                     SAC stops both runs when they overlap: keep one scheduler per data import"
                ),
                format!(
                    "`sacctl schedule logs --model {model} --schedule {schedule_id}` shows {}",
                    candidates.iter().map(|r| r.execution_id.as_str()).collect::<Vec<_>>().join(" and ")
                ),
            ],
            Error::Lock { .. } => vec![
                "sacctl keeps its trigger locks in its cache directory: point SACCTL_CACHE_DIR at a writable local directory".into(),
            ],
            Error::Config(_) => vec!["`sacctl --help` lists the settings (flags and SACCTL_* variables)".into()],
            Error::DataFile { .. } => vec!["fix the file at that place; the first line names the columns".into()],
            Error::Cache { .. } => vec!["remove the file, or point SACCTL_CACHE_DIR elsewhere".into()],
            Error::Login(_) => vec!["run `sacctl login` for this profile".into()],
        }
    }

    /// True for errors a fresh token might cure.
    pub(crate) fn is_auth_refusal(&self) -> bool {
        matches!(self, Error::LoginPage { .. } | Error::Unauthorized { .. })
    }
}

/// The Multi Actions API's codes for "not found or not readable" and "not
/// authorized to execute" (SAP's guide, `80680a8a`).
pub const MA_NOT_FOUND: u32 = 596000996;
pub const MA_NOT_AUTHORIZED: u32 = 596000998;

/// What to do about a Multi Actions API refusal, by its code.
fn multi_action_hint(code: u32) -> &'static str {
    match (code, code / 1_000_000 % 100) {
        (MA_NOT_FOUND, _) => {
            "check the multi action id (<package>:<object>, e.g. t.G:MA_LOAD) and that the user may read it"
        }
        (MA_NOT_AUTHORIZED, _) | (_, 98) => {
            "the user may not execute this multi action: ask a SAC administrator for the right to execute it"
        }
        (_, 99) => {
            "SAC did not take the request body: give each parameter of the multi action one --param NAME=MEMBER \
             (the parameter ids as the multi action names them, members as ids, e.g. TargetVersion=public.Plan)"
        }
        _ => "see the message; `sacctl multiaction status` shows an execution's messages and step logs",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_page_with_client_credentials_names_the_grants_that_work() {
        let e = Error::LoginPage { endpoint: "dataintegration".into(), grant: "client_credentials".into() };
        assert_eq!(e.class(), ErrorClass::Auth);
        let hints = e.hints().join(" ");
        assert!(
            hints.contains("Interactive Usage") && hints.contains("sacctl login") && hints.contains("saml2_bearer")
        );
    }

    #[test]
    fn numbered_import_errors_map_to_classes_and_hints() {
        let class = |code| Error::ImportRefused { code, message: String::new() }.class();
        assert_eq!(class(1010), ErrorClass::AlreadyRunning);
        assert_eq!(class(1011), ErrorClass::JobFailed);
        for code in [1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009] {
            assert_eq!(class(code), ErrorClass::Usage, "{code}");
        }
        let hint = |code| Error::ImportRefused { code, message: String::new() }.hints().join(" ");
        assert!(hint(1002).contains("sacctl import jobs") && hint(1002).contains("sacctl import delete"));
        assert!(hint(1004).contains("sacctl models show"));
        assert!(hint(1011).contains("invalid-rows"));
        assert_eq!(class(1603), ErrorClass::NotFound);
        assert!(hint(1603).contains("no such job") && hint(1603).contains("sacctl import jobs"));
    }

    #[test]
    fn multi_action_codes_map_by_category() {
        let e = |code| Error::MultiActionRefused { status: 400, code, message: String::new() };
        assert_eq!(e(599000999).class(), ErrorClass::Usage);
        assert!(e(599000999).hints().join(" ").contains("--param NAME=MEMBER"));
        assert_eq!(e(596000996).class(), ErrorClass::NotFound);
        assert_eq!(e(596000998).class(), ErrorClass::Auth);
        assert!(e(596000998).hints().join(" ").contains("right to execute"));
        assert_eq!(e(597000997).class(), ErrorClass::Unreachable);
    }

    #[test]
    fn a_cause_is_not_repeated_in_the_message() {
        let io = || std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied");
        let errors = [
            Error::Lock { path: "/c/s.lock".into(), source: io() },
            Error::Cache { path: "/c/token.json".into(), source: io() },
        ];
        for e in errors {
            let cause = std::error::Error::source(&e).map(ToString::to_string);
            assert_eq!(cause.as_deref(), Some("permission denied"), "{e:?}");
            assert!(!e.to_string().contains("permission denied"), "{e}");
        }
    }

    #[test]
    fn every_error_has_a_hint() {
        let errors = [
            Error::Csrf,
            Error::Config("x".into()),
            Error::ImportRefused { code: 1004, message: "m".into() },
            Error::NotFound { what: "data import".into(), message: "m".into() },
            Error::Unavailable { status: 503, attempts: 3, elapsed: Duration::from_secs(1), message: "m".into() },
        ];
        for e in errors {
            assert!(!e.hints().is_empty(), "{e}");
        }
    }
}
