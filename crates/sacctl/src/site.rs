//! The documentation site: docs/ built as an mdBook (`.ci/docs-site.sh`)
//! and published at the workspace's `homepage` (root Cargo.toml). Hints,
//! help texts and the MCP server's instructions name its pages through
//! [`doc_url!`], so a user who has only the binary gets an address, not a
//! path into a repository they do not have.

/// The address of one page of docs/, named as its file without `.md`:
/// `doc_url!("paths")`, `doc_url!("schedulers/sap-bw")`. A literal, so it
/// serves in `const` texts and clap's attributes too. `doc_url!()` is the
/// landing page, [`URL`].
macro_rules! doc_url {
    () => {
        env!("CARGO_PKG_HOMEPAGE")
    };
    ($page:literal) => {
        concat!(env!("CARGO_PKG_HOMEPAGE"), $page, ".html")
    };
}
pub(crate) use doc_url;

/// The site's address, ending in `/`.
pub const URL: &str = doc_url!();

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn the_url_is_an_https_address_ending_in_a_slash() {
        assert!(super::URL.starts_with("https://") && super::URL.ends_with('/'), "{}", super::URL);
        assert_eq!(doc_url!("paths"), format!("{}paths.html", super::URL));
    }

    /// Every page a hint names exists in docs/, so the built site has it.
    #[test]
    fn every_page_named_in_the_sources_is_a_page_of_docs() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let docs = root.join("../../docs");
        let mut named = Vec::new();
        let mut stack = vec![root.join("src")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for piece in text.split("doc_url!(\"").skip(1) {
                        let page = piece.split('"').next().unwrap().to_string();
                        named.push((path.clone(), page));
                    }
                }
            }
        }
        assert!(named.len() >= 5, "the hints name pages: {named:?}");
        for (file, page) in named {
            assert!(docs.join(format!("{page}.md")).is_file(), "{} names {page}, not a page of docs/", file.display());
        }
    }
}
