//! A push stopped by SIGINT or SIGTERM: the job it leaves behind.
//!
//! A job that has not run holds rows nobody will write, and counts against
//! the open jobs SAC allows per user and per model (Data Import errors 1002
//! and 1007): it is deleted before sacctl exits, unless `--keep-job`. A job
//! that runs cannot be taken back: it is named with the command that
//! follows it.

use std::time::Duration;

use sac_client::Client;

use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::going::Going;
use crate::output::Printer;

/// How long the clean-up (one status read, one delete) may take; the
/// signal already asked sacctl to end.
const CLEANUP: Duration = Duration::from_secs(10);

/// The failure of a push that `signal` (130 or 143) stopped, after deleting
/// its job `job` when it has not run (unless `keep_job`).
pub async fn stopped(
    printer: Printer,
    client: &Client,
    job: Option<&str>,
    keep_job: bool,
    signal: ExitStatus,
) -> Failure {
    let failure = Failure::interrupted(signal);
    let going = Going::declared();
    let Some(job) = job else {
        return failure;
    };
    let with_going = |mut failure: Failure, hint: Option<String>| {
        failure.hints.extend(hint);
        match &going {
            Some(going) => failure.going(going),
            None => failure,
        }
    };
    if keep_job {
        return with_going(failure, None);
    }
    let di = client.data_import();
    let cleanup = async {
        let status = di.status(job).await?;
        if !status.job_status.is_open() {
            return Ok(false);
        }
        di.delete(job).await.map(|()| true)
    };
    match tokio::time::timeout(CLEANUP, cleanup).await {
        Ok(Ok(true)) => {
            printer.note(&format!("deleted job {job}: it had not run, nothing was written"));
            failure
        }
        Ok(Ok(false)) => with_going(failure, None),
        Ok(Err(e)) => with_going(failure, Some(format!("job {job} could not be deleted: {e}"))),
        Err(_) => with_going(
            failure,
            Some(format!("job {job} could not be deleted: SAC did not answer within {} s", CLEANUP.as_secs())),
        ),
    }
}
