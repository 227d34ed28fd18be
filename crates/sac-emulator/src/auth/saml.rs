//! The demo identity provider's SAML 2.0 assertions, for the SAML bearer
//! grant (RFC 7522).
//!
//! The emulator's IdP (`POST /emulator/idp/assertion`) issues assertions for
//! any user it knows, including users that have no SAC user record, which is
//! how SSO tenants meet error 3000. The token service accepts only
//! assertions it can verify: issuer, audience, validity window and an
//! Ed25519 signature over the assertion without its `<ds:Signature>`
//! element. That signature is the emulator's simplification of XML-DSig
//! (no canonicalisation: the signed bytes are exactly the ones sent), so a
//! changed NameID, audience or date breaks it just as it would in SAC.

use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use ed25519_dalek::{Signature, Signer, Verifier};
use quick_xml::events::Event;
use quick_xml::Reader;

use crate::secrets::random_id;
use ed25519_dalek::SigningKey;

use crate::tenant::Tenant;

/// Algorithm URI the emulator writes into `<ds:SignatureMethod>`.
pub const SIGNATURE_METHOD: &str = "urn:sacctl:emulator:xmldsig-ed25519-exact-bytes";
const SIG_OPEN: &str = "<ds:Signature";
const SIG_CLOSE: &str = "</ds:Signature>";
/// Clock skew tolerated on NotBefore / NotOnOrAfter.
const SKEW_SECS: i64 = 60;

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A signed assertion for `user`, issued `now` (emulator time) and valid
/// for `lifetime_secs`, as XML.
pub fn issue(
    idp: &SigningKey,
    tenant: &Tenant,
    user: &str,
    lifetime_secs: i64,
    recipient: &str,
    now: DateTime<Utc>,
) -> String {
    let until = now + Duration::seconds(lifetime_secs);
    let signature_slot = "{SIGNATURE}";
    let template = format!(
        concat!(
            "<saml2:Assertion xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_{id}\" IssueInstant=\"{now}\" Version=\"2.0\">",
            "<saml2:Issuer>{issuer}</saml2:Issuer>{sig}",
            "<saml2:Subject><saml2:NameID Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified\">{user}</saml2:NameID>",
            "<saml2:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">",
            "<saml2:SubjectConfirmationData NotOnOrAfter=\"{until}\" Recipient=\"{recipient}\"/></saml2:SubjectConfirmation></saml2:Subject>",
            "<saml2:Conditions NotBefore=\"{now}\" NotOnOrAfter=\"{until}\"><saml2:AudienceRestriction>",
            "<saml2:Audience>{audience}</saml2:Audience></saml2:AudienceRestriction></saml2:Conditions>",
            "<saml2:AuthnStatement AuthnInstant=\"{now}\"><saml2:AuthnContext><saml2:AuthnContextClassRef>",
            "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml2:AuthnContextClassRef>",
            "</saml2:AuthnContext></saml2:AuthnStatement></saml2:Assertion>"
        ),
        id = random_id(),
        now = rfc3339(now),
        until = rfc3339(until),
        issuer = quick_xml::escape::escape(tenant.idp_entity_id.as_str()),
        audience = quick_xml::escape::escape(&tenant.sp_entity_id),
        user = quick_xml::escape::escape(user),
        recipient = quick_xml::escape::escape(recipient),
        sig = signature_slot,
    );
    let unsigned = template.replace(signature_slot, "");
    let signature = idp.sign(unsigned.as_bytes());
    let element = format!(
        "{SIG_OPEN} xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo><ds:SignatureMethod Algorithm=\"{SIGNATURE_METHOD}\"/></ds:SignedInfo><ds:SignatureValue>{}</ds:SignatureValue>{SIG_CLOSE}",
        STANDARD.encode(signature.to_bytes())
    );
    template.replace(signature_slot, &element)
}

/// The IdP's public key, base64 (`GET /emulator/idp/metadata`).
pub fn public_key(idp: &SigningKey) -> String {
    STANDARD.encode(idp.verifying_key().to_bytes())
}

/// Checks an assertion as sent in the `assertion` parameter (base64 or
/// base64url of the XML) and returns the user it vouches for.
pub fn verify(idp: &SigningKey, tenant: &Tenant, encoded: &str, now: DateTime<Utc>) -> Result<String, String> {
    let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = STANDARD
        .decode(&compact)
        .or_else(|_| URL_SAFE.decode(&compact))
        .or_else(|_| URL_SAFE_NO_PAD.decode(&compact))
        .map_err(|_| "the assertion is not base64 encoded".to_string())?;
    let xml = String::from_utf8(bytes).map_err(|_| "the assertion is not UTF-8 XML".to_string())?;
    let start = xml.find(SIG_OPEN).ok_or("the assertion is not signed")?;
    let end = xml[start..]
        .find(SIG_CLOSE)
        .map(|i| start + i + SIG_CLOSE.len())
        .ok_or("the assertion's signature is not closed")?;
    let signature_xml = &xml[start..end];
    let unsigned = format!("{}{}", &xml[..start], &xml[end..]);
    let value = between(signature_xml, "<ds:SignatureValue>", "</ds:SignatureValue>")
        .ok_or("the assertion has no SignatureValue")?;
    let signature: [u8; 64] = STANDARD
        .decode(value.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("the assertion's signature value is malformed")?;
    idp.verifying_key()
        .verify(unsigned.as_bytes(), &Signature::from_bytes(&signature))
        .map_err(|_| "the assertion's signature does not verify against the trusted identity provider".to_string())?;
    let facts = parse(&unsigned)?;
    if facts.issuer != tenant.idp_entity_id {
        return Err(format!("the assertion's issuer {:?} is not a trusted identity provider", facts.issuer));
    }
    if facts.audience != tenant.sp_entity_id {
        return Err(format!(
            "the assertion's audience {:?} is not this service provider ({})",
            facts.audience, tenant.sp_entity_id
        ));
    }
    let parse_time = |s: &str| {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| format!("bad timestamp {s:?} in the assertion"))
    };
    if parse_time(&facts.not_before)? > now + Duration::seconds(SKEW_SECS) {
        return Err("the assertion is not valid yet".into());
    }
    if parse_time(&facts.not_on_or_after)? + Duration::seconds(SKEW_SECS) <= now {
        return Err("the assertion has expired".into());
    }
    if facts.name_id.is_empty() {
        return Err("the assertion names no subject".into());
    }
    Ok(facts.name_id)
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)? + start;
    Some(&text[start..end])
}

#[derive(Default)]
struct Facts {
    issuer: String,
    name_id: String,
    audience: String,
    not_before: String,
    not_on_or_after: String,
}

fn parse(xml: &str) -> Result<Facts, String> {
    let mut reader = Reader::from_str(xml);
    let mut facts = Facts::default();
    let mut current: Vec<u8> = Vec::new();
    loop {
        match reader.read_event().map_err(|e| format!("the assertion is not well-formed XML: {e}"))? {
            Event::Start(e) | Event::Empty(e) => {
                current = e.local_name().as_ref().to_vec();
                if current == b"Conditions" {
                    for attr in e.attributes().flatten() {
                        let value = attr.unescape_value().map_err(|e| e.to_string())?.into_owned();
                        match attr.key.local_name().as_ref() {
                            b"NotBefore" => facts.not_before = value,
                            b"NotOnOrAfter" => facts.not_on_or_after = value,
                            _ => {}
                        }
                    }
                }
            }
            Event::Text(t) => {
                let text = t.unescape().map_err(|e| e.to_string())?.trim().to_string();
                match current.as_slice() {
                    b"Issuer" => facts.issuer = text,
                    b"NameID" => facts.name_id = text,
                    b"Audience" => facts.audience = text,
                    _ => {}
                }
            }
            Event::End(_) => current.clear(),
            Event::Eof => break,
            _ => {}
        }
    }
    if facts.not_before.is_empty() || facts.not_on_or_after.is_empty() {
        return Err("the assertion has no validity window (Conditions)".into());
    }
    Ok(facts)
}
