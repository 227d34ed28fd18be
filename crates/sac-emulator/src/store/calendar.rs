//! The planning calendar's events: each with its definition (JSON), its
//! status and the job its latest start began.

use rusqlite::params;

use super::{parse_json, Reader, StoreError, StoreResult, Writer};
use crate::tenant::{CalendarEventDef, EventStatus};

/// One calendar event as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct CalendarEventRecord {
    /// What the event is (its `status` field is the seed's, not the current one).
    pub spec: CalendarEventDef,
    pub status: EventStatus,
    /// The multi action execution or data action run its latest start began.
    pub execution_id: Option<String>,
    /// The event this one is a copy of.
    pub copied_from: Option<String>,
}

impl CalendarEventRecord {
    pub fn id(&self) -> &str {
        &self.spec.id
    }
}

const COLUMNS: &str = "status, spec, execution_id, copied_from";

fn status_of(text: &str) -> StoreResult<EventStatus> {
    EventStatus::parse(text).ok_or_else(|| StoreError::Corrupt(format!("calendar status {text:?}")))
}

impl Reader<'_> {
    /// One event.
    pub fn calendar_event(&self, event_id: &str) -> StoreResult<Option<CalendarEventRecord>> {
        Ok(self
            .query_events(&format!("SELECT {COLUMNS} FROM calendar_events WHERE event_id = ?1"), params![event_id])?
            .pop())
    }

    /// Every event, in the order they were created.
    pub fn calendar_events(&self) -> StoreResult<Vec<CalendarEventRecord>> {
        self.query_events(&format!("SELECT {COLUMNS} FROM calendar_events ORDER BY seq"), params![])
    }

    /// The children of a process, in the order they were created.
    pub fn calendar_children(&self, parent_id: &str) -> StoreResult<Vec<CalendarEventRecord>> {
        self.query_events(
            &format!("SELECT {COLUMNS} FROM calendar_events WHERE parent_id = ?1 ORDER BY seq"),
            params![parent_id],
        )
    }

    /// True when some event is open or in progress (something may move).
    pub fn calendar_has_active(&self) -> StoreResult<bool> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM calendar_events WHERE status IN ('open', 'inProgress'))")?;
        Ok(stmt.query_row([], |r| r.get(0))?)
    }

    fn query_events(&self, sql: &str, args: impl rusqlite::Params) -> StoreResult<Vec<CalendarEventRecord>> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        let rows = stmt
            .query_map(args, |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(status, spec, execution_id, copied_from)| {
                Ok(CalendarEventRecord {
                    spec: parse_json("calendar event", &spec)?,
                    status: status_of(&status)?,
                    execution_id,
                    copied_from,
                })
            })
            .collect()
    }
}

impl Writer<'_> {
    pub fn insert_calendar_event(&self, e: &CalendarEventRecord) -> StoreResult<()> {
        let spec = serde_json::to_string(&e.spec).map_err(|err| StoreError::Corrupt(err.to_string()))?;
        self.conn()
            .prepare_cached(
                "INSERT INTO calendar_events (event_id, seq, parent_id, status, spec, execution_id, copied_from)
                 VALUES (?1, (SELECT COALESCE(MAX(seq) + 1, 0) FROM calendar_events), ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![e.spec.id, e.spec.parent, e.status.as_str(), spec, e.execution_id, e.copied_from])?;
        Ok(())
    }

    /// Writes the status and job of `e`, which must still have status
    /// `expected` (else [`StoreError::Conflict`]).
    pub fn update_calendar_event(&self, e: &CalendarEventRecord, expected: EventStatus) -> StoreResult<()> {
        let changed = self
            .conn()
            .prepare_cached(
                "UPDATE calendar_events SET status = ?2, execution_id = ?3 WHERE event_id = ?1 AND status = ?4",
            )?
            .execute(params![e.spec.id, e.status.as_str(), e.execution_id, expected.as_str()])?;
        match changed {
            1 => Ok(()),
            _ => Err(StoreError::Conflict(format!("calendar event {} is no longer {}", e.spec.id, expected.as_str()))),
        }
    }
}
