//! relman's web dashboard, served by `relman-server` under `/ui`.
//!
//! Server-rendered pages ([maud] templates, which escape every value they interpolate), one
//! stylesheet and a few lines of script compiled into the binary; every page reads and works
//! without JavaScript. The pages call the [`relman_service::Service`] directly, in-process.
//!
//! Sign-in is by pasting an API token; the session is a sealed, HttpOnly, SameSite=Strict cookie
//! ([`session`]) backed by a row in the store that signing out deletes, every form carries a CSRF
//! token, and each action checks the token's scope
//! again on the server ([`viewer::Viewer::authorize`]) whatever the page showed.
//!
//! [`scope`] is mounted inside [`relman_http::app`]'s application, beside the API, whose
//! access middleware leaves `/ui` to the session check here.

pub mod error;
pub mod layout;
pub mod markdown;
pub mod pages;
pub mod session;
pub mod signature;
pub mod static_files;
pub mod viewer;

use actix_web::{HttpResponse, web};

pub use error::UiError;
pub use session::UiKeys;

use pages::{audit, component, environment, overview, promote, release, sign_in};

/// The site icon at the root (`/favicon.ico`), served beside [`scope`]: anyone may fetch it.
pub use static_files::favicon;

/// Largest form body accepted, in bytes: forms hold a token, a reason or a message.
const FORM_LIMIT: usize = 64 * 1024;

/// The `/ui` scope: every page, form and file of the dashboard.
pub fn scope(keys: UiKeys) -> actix_web::Scope {
    web::scope("/ui")
        .app_data(web::Data::new(keys))
        .app_data(
            web::FormConfig::default()
                .limit(FORM_LIMIT)
                .error_handler(|e, _| {
                    UiError::bad_request(format!("the form is not acceptable: {e}")).into()
                }),
        )
        .app_data(web::QueryConfig::default().error_handler(|e, _| {
            UiError::bad_request(format!("the address is not acceptable: {e}")).into()
        }))
        .app_data(
            web::PathConfig::default()
                .error_handler(|e, _| UiError::bad_request(e.to_string()).into()),
        )
        .service(static_files::file)
        .service(sign_in::show)
        .service(sign_in::submit)
        .service(sign_in::sign_out)
        .service(overview::show)
        .service(web::resource("/").route(web::get().to(|| async {
            HttpResponse::SeeOther()
                .insert_header(("Location", "/ui"))
                .finish()
        })))
        .service(component::list)
        .service(component::show)
        .service(component::sync)
        .service(component::job)
        .service(promote::confirm)
        .service(promote::promote)
        .service(release::download)
        .service(release::deprecate)
        .service(release::mark_ready)
        .service(release::show)
        .service(environment::show)
        .service(environment::complete)
        .service(audit::show)
        .default_service(web::to(|| async {
            Err::<HttpResponse, _>(UiError::page(
                actix_web::http::StatusCode::NOT_FOUND,
                "There is no such page.",
            ))
        }))
}
