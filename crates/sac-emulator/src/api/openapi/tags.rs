//! Tags that group the operations by service.

pub const TOKEN: &str = "Token service and sign-in";
pub const CSRF: &str = "CSRF and sessions";
pub const LEGACY: &str = "Data integration (UI layer)";
pub const DATA_IMPORT: &str = "Data Import API";
pub const DATA_EXPORT: &str = "Data Export API";
pub const MULTI_ACTIONS: &str = "Multi Actions API";
pub const MONITORING: &str = "Monitoring API";
pub const CALENDAR: &str = "Calendar API";
pub const ADMIN: &str = "Emulator admin";
pub const CONSOLE: &str = "Web console";
