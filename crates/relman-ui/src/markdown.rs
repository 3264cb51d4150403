//! Release notes: Markdown rendered to HTML, then sanitised.
//!
//! Notes are written by anyone with a write token, so the HTML they render to is cleaned by an
//! allow-list (ammonia): no scripts, no event handlers, no `javascript:` links, no styles; links
//! get `rel="noopener noreferrer"`. What is left is safe to put into the page as it is.

use maud::{Markup, PreEscaped};
use pulldown_cmark::{Options, Parser, html};

/// The sanitised HTML of Markdown `text`.
pub fn render(text: &str) -> Markup {
    let parser = Parser::new_ext(
        text,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS,
    );
    let mut unsafe_html = String::with_capacity(text.len() * 3 / 2);
    html::push_html(&mut unsafe_html, parser);
    PreEscaped(ammonia::clean(&unsafe_html))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_and_raw_html_is_cleaned() {
        let out = render(
            "# Changes\n\n**bold** and [docs](https://example.com)\n\n\
             <script>alert(1)</script>\n\n<img src=x onerror=\"alert(2)\">\n\n\
             [bad](javascript:alert(3)) <a href=\"#\" onclick=\"alert(4)\">x</a>",
        )
        .into_string();
        assert!(out.contains("<h1>Changes</h1>"), "{out}");
        assert!(out.contains("<strong>bold</strong>"), "{out}");
        assert!(out.contains("href=\"https://example.com\""), "{out}");
        for banned in ["<script", "onerror", "onclick", "javascript:", "alert(1)"] {
            assert!(!out.contains(banned), "{banned} survived: {out}");
        }
    }
}
