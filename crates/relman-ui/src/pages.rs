//! The dashboard's pages and the forms they post, one module per page.

pub mod audit;
pub mod component;
pub mod environment;
pub mod overview;
pub mod promote;
pub mod release;
pub mod sign_in;

use actix_web::HttpResponse;
use relman_domain::{Environment, Release};
use relman_service::{Service, ServiceError};
use uuid::Uuid;

use crate::layout::{encode, see_other};

/// Every environment, in promotion order.
pub(crate) async fn environments_in_order(
    service: &Service,
) -> Result<Vec<Environment>, ServiceError> {
    let mut envs = service.list_environments().await?;
    envs.sort_by_key(|e| (e.order, e.id));
    Ok(envs)
}

/// What runs in environment `key` now, if anything.
pub(crate) async fn current_release(
    service: &Service,
    key: &str,
) -> Result<Option<Release>, ServiceError> {
    match service.current_release(key).await {
        Ok(r) => Ok(Some(r)),
        Err(ServiceError::NothingRunning { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// 303 to the timeline of environment `id`, where promotions and completions lead.
pub(crate) async fn to_environment(
    service: &Service,
    id: Uuid,
) -> Result<HttpResponse, ServiceError> {
    let env = service.environment(&id.to_string()).await?;
    Ok(see_other(&format!(
        "/ui/environments/{}",
        encode(env.name.as_str())
    )))
}
