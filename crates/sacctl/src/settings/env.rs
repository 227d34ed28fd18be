//! Every environment variable sacctl reads.

pub const PROFILE: &str = "SACCTL_PROFILE";
pub const CONFIG: &str = "SACCTL_CONFIG";
pub const CACHE_DIR: &str = "SACCTL_CACHE_DIR";
pub const TENANT_URL: &str = "SACCTL_TENANT_URL";
pub const API_URL: &str = "SACCTL_API_URL";
pub const TOKEN_URL: &str = "SACCTL_TOKEN_URL";
pub const TENANT_ID: &str = "SACCTL_TENANT_ID";
pub const CLIENT_ID: &str = "SACCTL_CLIENT_ID";
pub const CLIENT_SECRET: &str = "SACCTL_CLIENT_SECRET";
pub const CLIENT_SECRET_FILE: &str = "SACCTL_CLIENT_SECRET_FILE";
pub const CLIENT_SECRET_CMD: &str = "SACCTL_CLIENT_SECRET_CMD";
pub const GRANT: &str = "SACCTL_GRANT";
pub const USER: &str = "SACCTL_USER";
pub const PASSWORD: &str = "SACCTL_PASSWORD";
pub const PASSWORD_FILE: &str = "SACCTL_PASSWORD_FILE";
pub const PASSWORD_CMD: &str = "SACCTL_PASSWORD_CMD";
pub const SAML_ASSERTION_FILE: &str = "SACCTL_SAML_ASSERTION_FILE";
pub const SAML_ASSERTION_CMD: &str = "SACCTL_SAML_ASSERTION_CMD";
pub const CA_BUNDLE: &str = "SACCTL_CA_BUNDLE";
pub const PROXY: &str = "SACCTL_PROXY";
pub const RETRY_ATTEMPTS: &str = "SACCTL_RETRY_ATTEMPTS";
pub const HTTP_TIMEOUT: &str = "SACCTL_HTTP_TIMEOUT";
pub const EMULATOR_ADMIN_TOKEN: &str = "SACCTL_EMULATOR_ADMIN_TOKEN";
/// The shell printed command lines are for: `posix` or `powershell`.
pub const SHELL: &str = "SACCTL_SHELL";

/// The variables that hold a secret or say where one comes from (a file,
/// a command line that may embed it, a proxy URL that may carry a
/// password): programs sacctl starts for a chain never inherit them.
pub const SECRETS: &[&str] = &[
    CLIENT_SECRET,
    CLIENT_SECRET_FILE,
    CLIENT_SECRET_CMD,
    PASSWORD,
    PASSWORD_FILE,
    PASSWORD_CMD,
    SAML_ASSERTION_FILE,
    SAML_ASSERTION_CMD,
    PROXY,
    EMULATOR_ADMIN_TOKEN,
];
