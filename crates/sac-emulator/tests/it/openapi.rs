//! The OpenAPI document at `/emulator/openapi.json`, over HTTP.

use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn the_document_names_both_domains_and_which_paths_only_the_browser_domain_serves() {
    let emu = start().await;
    let response = emu.get("/emulator/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let urls = &emu.emu.urls;
    let servers: Vec<&str> = doc["servers"].as_array().unwrap().iter().map(|s| s["url"].as_str().unwrap()).collect();
    assert_eq!(servers, [urls.tenant_url.as_str(), urls.api_url.as_str()]);
    let paths = doc["paths"].as_object().unwrap();
    for tenant_only in ["/oauth/token", "/emulator/reset", "/emulator/openapi.json", "/"] {
        let own = &paths[tenant_only]["servers"];
        assert_eq!(own.as_array().map(Vec::len), Some(1), "{tenant_only} names the browser domain alone");
        assert_eq!(own[0]["url"], urls.tenant_url.as_str());
    }
    for shared in ["/api/v1/csrf", "/api/v1/multiActions/{id}/executions"] {
        assert!(paths[shared].get("servers").is_none(), "{shared} is served on both domains");
    }
    assert!(paths["/emulator/faults"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .is_some_and(|r| r.ends_with("/FaultSpec")));
}

#[tokio::test]
async fn the_api_domain_does_not_serve_the_document() {
    let emu = start().await;
    let response = emu.http.get(emu.api("/emulator/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), 404);
}
