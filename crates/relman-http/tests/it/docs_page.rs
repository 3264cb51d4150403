//! The `/docs` reference page: what a newcomer needs, and nothing fetched from elsewhere.

use std::collections::HashSet;

use actix_web::test::TestRequest;
use relman_storage::Store;
use relman_test_support::backend_tests;

use crate::app;
use crate::support::send;

backend_tests!(the_reference_page_guides_a_newcomer);

/// The values of `attr="…"` attributes in `html`.
fn attrs<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!(" {attr}=\"");
    html.match_indices(&needle)
        .filter_map(|(i, _)| {
            let rest = &html[i + needle.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

async fn the_reference_page_guides_a_newcomer(store: Store) {
    let app = app!(store);
    let page = send(&app, TestRequest::get().uri("/docs"))
        .await
        .expect(200);
    let html = String::from_utf8(page.raw).unwrap();

    // How to authenticate, before anything else.
    let auth = html
        .find("id=\"authentication\"")
        .expect("an authentication section");
    assert!(auth < html.find("id=\"contents\"").unwrap());
    assert!(html.contains("Authorization: Bearer"));
    let section = &html[auth..html.find("id=\"contents\"").unwrap()];
    assert!(
        section.contains("Open without a token:") && section.contains("<code>GET /healthz</code>")
    );

    // A table of contents by tag, whose every link lands on an anchor of the page.
    assert!(html.contains("href=\"#tag-releases\"") && html.contains("id=\"tag-releases\""));
    assert!(html.contains("href=\"#op-create_release\""));
    let ids: HashSet<&str> = attrs(&html, "id").into_iter().collect();
    for href in attrs(&html, "href") {
        if let Some(target) = href.strip_prefix('#') {
            assert!(
                ids.contains(target),
                "a link to #{target}, which is not on the page"
            );
        }
    }
    // Scopes per operation.
    assert!(html.contains("Needs a token with scope <code>admin</code>"));

    // Variants, enums, formats, bounds and examples.
    let auth_body = &html[html.find("id=\"schema-AuthBody\"").unwrap()..];
    let auth_body = &auth_body[..auth_body.find("</section>").unwrap()];
    for variant in ["BasicAuth", "BearerAuth", "NoAuth"] {
        assert!(
            auth_body.contains(variant),
            "AuthBody lists {variant}: {auth_body}"
        );
    }
    assert!(
        auth_body.contains("when <code>type: \"basic\"</code>"),
        "{auth_body}"
    );
    assert!(html.contains("one of <code>&quot;draft&quot;</code>"));
    assert!(html.contains("string (date-time)"));
    assert!(html.contains("max length 255") || html.contains("max length 200"));
    assert!(html.contains("example <code>"));

    // Air-gapped: every link stays on this server, nothing is loaded.
    for href in attrs(&html, "href") {
        assert!(
            href.starts_with('#') || (href.starts_with('/') && !href.starts_with("//")),
            "the page links outside the server: {href}"
        );
    }
    for external in [
        "<script", "<link", "<img", "<iframe", " src=", "@import", "url(",
    ] {
        assert!(
            !html.contains(external),
            "the reference page has {external}"
        );
    }
}
