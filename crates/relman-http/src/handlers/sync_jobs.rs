//! Syncs as jobs: `POST …/sync-versions` with `Prefer: respond-async` answers 202 at once and the
//! sync runs on; `GET /api/v1/sync-jobs/{id}` tells its progress and, at the end, its answer.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use relman_domain::Actor;
use relman_service::{
    JOB_HEARTBEAT, Service, SyncJob, SyncOptions, SyncReport, SyncStep, sync_job_status,
};
use relman_wire::Problem;
use relman_wire::rfc3339;
use relman_wire::sync_jobs::{SyncJobResponse, SyncJobStatusName, SyncPhaseName, SyncSummaryBody};
use uuid::Uuid;

use crate::auth::Principal;
use crate::error::{ApiError, ErrorCode};

/// How often a running job's progress is written.
const FLUSH_EVERY: Duration = Duration::from_millis(250);

/// Whether the request asks for an asynchronous answer (RFC 7240 `Prefer: respond-async`).
pub(crate) fn wants_async(req: &HttpRequest) -> bool {
    req.headers()
        .get_all("prefer")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| {
            p.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("respond-async"))
        })
}

/// Starts (or joins) the component's sync job and answers 202 with its `Location`.
pub(crate) async fn start(
    service: web::Data<Service>,
    actor: Actor,
    key: &str,
    options: SyncOptions,
) -> Result<HttpResponse, ApiError> {
    let job = start_job(service, actor, key, options).await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/sync-jobs/{}", job.id)))
        .insert_header(("Preference-Applied", "respond-async"))
        .json(response(job)))
}

/// Starts the component's sync job, or joins the one already running, and returns it; the sync
/// runs on in the background (the dashboard's sync button starts it here too).
pub async fn start_job(
    service: web::Data<Service>,
    actor: Actor,
    key: &str,
    options: SyncOptions,
) -> Result<SyncJob, ApiError> {
    let (job, created) = service.start_sync_job(&actor, key).await?;
    if created {
        let service = service.into_inner();
        let (id, component) = (job.id, job.component_id.to_string());
        // Not `actix_web::rt::spawn`: the job outlives the request, and must not need the
        // worker's local task set.
        tokio::spawn(async move { run(service, actor, id, component, options).await });
    }
    Ok(job)
}

/// Runs a job's sync to its end, writing progress at most every [`FLUSH_EVERY`] and at least
/// every [`JOB_HEARTBEAT`].
async fn run(
    service: Arc<Service>,
    actor: Actor,
    id: Uuid,
    component: String,
    options: SyncOptions,
) {
    let latest: Arc<Mutex<Option<SyncStep>>> = Arc::default();
    let heard = Arc::clone(&latest);
    let progress = move |step: SyncStep| {
        if let Ok(mut slot) = heard.lock() {
            *slot = Some(step);
        }
    };
    let sync = service.sync_versions_reporting(&actor, &component, options, &progress);
    tokio::pin!(sync);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + FLUSH_EVERY, FLUSH_EVERY);
    let mut last = None;
    let mut quiet = Duration::ZERO;
    let result = loop {
        tokio::select! {
            result = &mut sync => break result,
            _ = tick.tick() => {
                let step = latest.lock().ok().and_then(|s| *s);
                quiet += FLUSH_EVERY;
                if let Some(step) = step.filter(|s| Some(*s) != last || quiet >= JOB_HEARTBEAT) {
                    quiet = Duration::ZERO;
                    last = Some(step);
                    if let Err(e) = service.report_sync_job(id, step).await {
                        tracing::warn!(job = %id, error = %e, "could not record sync progress");
                    }
                }
            }
        }
    };
    let outcome = match result {
        Ok(report) => Ok(summary_json(&report)),
        Err(e) => {
            tracing::info!(job = %id, error = %e, "sync job failed");
            Err(serde_json::to_string(&ApiError::from(e).problem()).unwrap_or_default())
        }
    };
    if let Err(e) = service.finish_sync_job(id, outcome).await {
        tracing::error!(job = %id, error = %e, "could not record the end of a sync job");
    }
}

fn summary_json(r: &SyncReport) -> String {
    let body = SyncSummaryBody {
        synced: r.synced as u64,
        added: r.added as u64,
        updated: r.updated as u64,
        unchanged: r.unchanged as u64,
        gone: r.gone as u64,
        registry_requests: r.registry_requests,
    };
    serde_json::to_string(&body).unwrap_or_default()
}

/// The wire shape of a job; one that lost its runner fails with `internal_error`.
pub fn response(job: SyncJob) -> SyncJobResponse {
    let status = match job.status.as_str() {
        sync_job_status::QUEUED => SyncJobStatusName::Queued,
        sync_job_status::RUNNING => SyncJobStatusName::Running,
        sync_job_status::SUCCEEDED => SyncJobStatusName::Succeeded,
        _ => SyncJobStatusName::Failed,
    };
    let phase = match job.phase.as_str() {
        "listing" => SyncPhaseName::Listing,
        "resolving" => SyncPhaseName::Resolving,
        "saving" => SyncPhaseName::Saving,
        "done" => SyncPhaseName::Done,
        _ => SyncPhaseName::Queued,
    };
    let mut error: Option<Problem> = job
        .error
        .as_deref()
        .and_then(|e| serde_json::from_str(e).ok());
    if status == SyncJobStatusName::Failed && error.is_none() {
        error = Some(
            ApiError::new(
                ErrorCode::InternalError,
                "the server running this sync stopped before it finished; start another",
            )
            .problem(),
        );
    }
    SyncJobResponse {
        id: job.id,
        component_id: job.component_id,
        status,
        phase,
        done: job.done,
        total: job.total,
        result: job
            .result
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok()),
        error,
        created_by: job.created_by,
        created_at: rfc3339(job.created_at),
        updated_at: rfc3339(job.updated_at),
        finished_at: job.finished_at.map(rfc3339),
    }
}

/// A sync job: its progress while it runs, its report or problem once it finished. Finished jobs
/// are kept for a day.
#[utoipa::path(
    tag = "components",
    operation_id = "get_sync_job",
    params(("id" = String, Path, description = "Sync job UUID (from the `Location` of a 202)")),
    responses(
        (status = 200, description = "The job", body = SyncJobResponse),
        (status = 404, description = "No such job (or pruned)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/sync-jobs/{id}")]
pub async fn get_sync_job(
    _who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let job = service.sync_job(&id).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(response(job)))
}
