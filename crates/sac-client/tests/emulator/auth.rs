//! Each grant against the emulator and every refusal as a typed error.

use crate::support::*;

#[tokio::test]
async fn seed_story_with_the_password_grant() {
    let emu = emulator(ClockMode::Polls { polls: 2 }).await;
    let client = client(&emu, Grant::Password);
    let schedules = client.data_integration().schedules(MODEL).await.unwrap();
    assert_eq!(schedules[0].schedule_id, SCHEDULE);
    assert_eq!(schedules[0].refresh_logs.len(), 1);
    let run = run_to_end(&client, &fast(Duration::from_secs(20))).await;
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(run.wrangling_and_update_result.data.inserted_count, 89);
    assert_eq!(run.user, "JDOE");
    let requests = requests(&emu).await;
    assert_eq!(count(&requests, SERVICE, "runScheduledJob"), 1);
    assert_eq!(count(&requests, "/oauth/token", ""), 1, "one token for the whole story");
    assert_eq!(count(&requests, "/sap/fpa/services/rest/epm/session", ""), 1, "one CSRF fetch");
}

#[tokio::test]
async fn saml_bearer_from_a_file_and_from_a_command() {
    let emu = emulator(ClockMode::Immediate).await;
    let assertion = admin(&emu, "/emulator/idp/assertion", json!({"user": "JDOE"})).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("assertion.xml");
    std::fs::write(&file, assertion["xml"].as_str().unwrap()).unwrap();
    let mut from_file = config(&emu, Grant::Saml2Bearer);
    from_file.saml = Some(SamlSource::File(file.clone()));
    let client = Client::new(from_file).unwrap();
    assert_eq!(run_to_end(&client, &fast(Duration::from_secs(10))).await.status, RunStatus::Succeeded);

    let mut from_command = config(&emu, Grant::Saml2Bearer);
    from_command.saml = Some(SamlSource::Command(format!("cat {}", file.display())));
    let schedules = Client::new(from_command).unwrap().data_integration().schedules(MODEL).await.unwrap();
    assert_eq!(schedules[0].refresh_logs.len(), 2);
}

#[tokio::test]
async fn authorization_code_login_through_the_loopback_redirect() {
    let emu = sac_emulator::spawn(Config {
        clock: ClockMode::Immediate,
        auto_approve_user: Some("JDOE".into()),
        ..Config::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&emu, Grant::AuthorizationCode);
    cfg.cache_dir = Some(dir.path().to_path_buf());
    let client = Client::new(cfg.clone()).unwrap();
    let err = client.data_integration().schedules(MODEL).await.unwrap_err();
    assert!(matches!(err, Error::Login(_)), "no login yet: {err}");

    let flow = sac_client::auth::login::LoginFlow::start(client.config(), 0).await.unwrap();
    assert!(flow.authorize_url.as_str().contains("code_challenge_method=S256"));
    let browser = tokio::spawn({
        let url = flow.authorize_url.clone();
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    });
    let status = flow.finish(client.tokens(), Duration::from_secs(10)).await.unwrap();
    assert!(browser.await.unwrap().contains("Signed in"));
    assert_eq!(status.user.as_deref(), Some("JDOE"));
    assert!(status.has_refresh_token);

    // A new process (a new client) uses the cached login.
    let later = Client::new(cfg).unwrap();
    assert_eq!(run_to_end(&later, &fast(Duration::from_secs(10))).await.status, RunStatus::Succeeded);
    assert!(later.tokens().logout().await.unwrap());
    assert!(later.tokens().status().await.is_none());
}

#[tokio::test]
async fn tokens_are_cached_on_disk_across_clients() {
    let emu = emulator(ClockMode::Immediate).await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&emu, Grant::Password);
    cfg.cache_dir = Some(dir.path().to_path_buf());
    for _ in 0..3 {
        Client::new(cfg.clone()).unwrap().data_integration().schedules(MODEL).await.unwrap();
    }
    assert_eq!(count(&requests(&emu).await, "/oauth/token", ""), 1, "three processes, one token");
    let text = std::fs::read_to_string(dir.path().join("tokens-default.json")).unwrap();
    assert!(!text.contains("Welcome1!"), "the password is never cached");
}

#[tokio::test]
async fn refusals_are_typed_and_explained() {
    let emu = emulator(ClockMode::Immediate).await;

    let err = client(&emu, Grant::ClientCredentials).data_integration().schedules(MODEL).await.unwrap_err();
    assert!(matches!(err, Error::LoginPage { .. }), "{err}");
    assert_eq!(err.class(), ErrorClass::Auth);
    assert!(err.hints().join(" ").contains("Interactive Usage"));

    let mut unknown_user = config(&emu, Grant::Password);
    unknown_user.user = Some("KSMITH".into());
    let err = Client::new(unknown_user).unwrap().data_integration().schedules(MODEL).await.unwrap_err();
    match &err {
        Error::UserNotInTenant { user, message, .. } => {
            assert_eq!(user.as_deref(), Some("KSMITH"));
            assert!(message.contains("user may not exist in tenant"));
        }
        other => panic!("{other}"),
    }

    let mut bad_secret = config(&emu, Grant::Password);
    bad_secret.client_secret = Secret::new("wrong");
    let err = Client::new(bad_secret).unwrap().data_integration().schedules(MODEL).await.unwrap_err();
    assert!(matches!(&err, Error::OAuth { error, .. } if error == "unauthorized"), "{err}");
    assert!(!err.to_string().contains("wrong") && !format!("{err:?}").contains("wrong"), "no secret in errors");

    let mut bad_password = config(&emu, Grant::Password);
    bad_password.password = Some(Secret::new("nope"));
    let err = Client::new(bad_password).unwrap().data_integration().schedules(MODEL).await.unwrap_err();
    assert!(matches!(&err, Error::OAuth { error, .. } if error == "invalid_grant"), "{err}");

    let password = client(&emu, Grant::Password);
    let di = password.data_integration();
    let missing = Target { schedule_id: "NOPE".into(), ..target() };
    let err = schedule::start(&di, &missing, IfRunning::Fail, &fast(Duration::from_secs(5)), &Silent, None)
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::NotFound, "{err}");
    let err = di.rejections("NOPE").await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::NotFound, "{err}");
    let err = di.schedules("ZEPPART_001").await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Usage);
    let err = di.schedules("t.X:ZEPPART_001").await.unwrap_err();
    assert!(err.to_string().contains("tenant id"), "{err}");

    let viewer = {
        let mut c = config(&emu, Grant::Password);
        c.user = Some("VIEWER".into());
        Client::new(c).unwrap()
    };
    let err = schedule::start(
        &viewer.data_integration(),
        &target(),
        IfRunning::Fail,
        &fast(Duration::from_secs(5)),
        &Silent,
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err}");
}
