//! `sacctl login`: the authorization code grant with PKCE (RFC 7636)
//! through a loopback redirect (RFC 8252 7.3).
//!
//! The flow listens on `127.0.0.1`, sends the user's browser to SAC's
//! authorization endpoint, takes the one redirect that comes back with the
//! code, checks its `state`, and redeems the code with the verifier.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

use super::{TokenSource, TokenStatus};
use crate::config::ClientConfig;
use crate::error::{Error, Result};

fn random_b64(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// A login waiting for the browser to come back.
pub struct LoginFlow {
    /// Open this in a browser.
    pub authorize_url: Url,
    pub redirect_uri: String,
    verifier: String,
    state: String,
    listener: TcpListener,
}

impl std::fmt::Debug for LoginFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginFlow").field("redirect_uri", &self.redirect_uri).finish_non_exhaustive()
    }
}

impl LoginFlow {
    /// Listens on `127.0.0.1:port` (0: any free port) and builds the URL.
    pub async fn start(config: &ClientConfig, port: u16) -> Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| Error::Config(format!("cannot listen on 127.0.0.1:{port} for the login redirect: {e}")))?;
        let port = listener.local_addr().map_err(|e| Error::Config(e.to_string()))?.port();
        let redirect_uri = format!("http://127.0.0.1:{port}/callback");
        let verifier = random_b64(48);
        let state = random_b64(16);
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let mut authorize_url = config.authorize_url();
        authorize_url
            .query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &config.client_id)
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("state", &state)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        Ok(LoginFlow { authorize_url, redirect_uri, verifier, state, listener })
    }

    /// Waits for the redirect (at most `timeout`), then redeems the code.
    pub async fn finish(self, tokens: &TokenSource, timeout: Duration) -> Result<TokenStatus> {
        let code = tokio::time::timeout(timeout, self.receive_code())
            .await
            .map_err(|_| Error::Login(format!("no browser came back within {} s", timeout.as_secs())))??;
        tokens.exchange_code(&code, &self.redirect_uri, &self.verifier).await
    }

    /// Serves the loopback redirect until one carries a code or an error.
    async fn receive_code(&self) -> Result<String> {
        loop {
            let (mut stream, _) =
                self.listener.accept().await.map_err(|e| Error::Login(format!("the login redirect failed: {e}")))?;
            let mut buf = vec![0u8; 8192];
            let n = stream.read(&mut buf).await.unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]);
            let target = request.lines().next().and_then(|line| line.split_whitespace().nth(1)).unwrap_or("/");
            let Ok(url) = Url::parse(&format!("http://127.0.0.1{target}")) else { continue };
            if url.path() != "/callback" {
                let _ = respond(&mut stream, "404 Not Found", "Not the login callback.").await;
                continue;
            }
            let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
            if let Some(error) = param("error") {
                let description = param("error_description").unwrap_or_default();
                let _ =
                    respond(&mut stream, "400 Bad Request", "The login was refused. You can close this window.").await;
                return Err(Error::Login(format!("SAC refused the login: {error} {description}").trim().to_string()));
            }
            if param("state").as_deref() != Some(self.state.as_str()) {
                let _ = respond(&mut stream, "400 Bad Request", "This answer does not belong to this login.").await;
                continue;
            }
            let Some(code) = param("code") else {
                let _ = respond(&mut stream, "400 Bad Request", "The answer carries no code.").await;
                continue;
            };
            let _ =
                respond(&mut stream, "200 OK", "Signed in to SAP Analytics Cloud. You can close this window.").await;
            return Ok(code);
        }
    }
}

async fn respond(stream: &mut tokio::net::TcpStream, status: &str, text: &str) -> std::io::Result<()> {
    let body = format!("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>sacctl login</title></head><body><p>{text}</p></body></html>");
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}
