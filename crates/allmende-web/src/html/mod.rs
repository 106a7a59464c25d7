//! Server-rendered pages: German by default, English on request, readable without
//! JavaScript. Templates are embedded and can be overridden from a theme folder.

mod account;
mod api_page;
mod api_snippets;
mod api_token_examples;
mod audit;
mod cells;
mod chart;
mod discovery;
mod embed;
mod feedback;
mod follow;
mod forms;
mod history;
mod invite;
mod login;
mod members;
mod pages;
mod privacy;
mod publish;
mod render;
mod resource_edit;
mod showcases;
mod signin;
mod static_files;
mod table_filter;
mod table_view;
mod visitor_form;

use axum::routing::{get, post};

pub use crate::page::PageCtx;
pub use crate::templates::{TemplateError, Templates};
pub use pages::dataset as dataset_page;
pub use render::html_errors;

pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .route("/", get(pages::home))
        .route("/datasets", get(pages::datasets))
        .route(
            "/datasets/new",
            get(publish::new_dataset).post(publish::create_dataset),
        )
        .route(
            "/dataset/{slug}/edit",
            get(publish::edit_dataset).post(publish::update_dataset),
        )
        .route(
            "/dataset/{slug}/resources/new",
            get(publish::new_resource)
                .post(publish::create_resource)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/dataset/{slug}/visibility", post(publish::set_visibility))
        .route("/dataset/{slug}/history", get(history::history))
        .route(
            "/dataset/{slug}/follow",
            get(follow::form).post(follow::request),
        )
        .route("/dataset/{slug}/feed.atom", get(discovery::dataset_feed))
        .route(
            "/follow/{token}/{action}",
            get(follow::page).post(follow::act),
        )
        .route(
            "/dataset/{slug}/schedule/cancel",
            post(publish::cancel_schedule),
        )
        .route(
            "/dataset/{slug}/history/{revision}/restore",
            post(history::restore),
        )
        .route("/dataset/{slug}/delete", post(publish::delete_dataset))
        .route("/dataset/{slug}/restore", post(publish::restore_dataset))
        .route("/dataset/{slug}/resource/{id}", get(pages::resource))
        .route(
            "/embed/dataset/{slug}/resource/{id}/{view}",
            get(embed::embed),
        )
        .route(
            "/dataset/{slug}/resource/{id}/chart.svg",
            get(pages::resource_chart),
        )
        .route(
            "/dataset/{slug}/resource/{id}/delete",
            post(publish::delete_resource),
        )
        .route(
            "/dataset/{slug}/resource/{id}/edit",
            get(resource_edit::edit_resource).post(resource_edit::update_resource),
        )
        .route(
            "/dataset/{slug}/resource/{id}/file",
            post(resource_edit::replace_file).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/dataset/{slug}/resource/{id}/reread",
            post(resource_edit::reread),
        )
        .route(
            "/dataset/{slug}/resource/{id}/acknowledge",
            post(privacy::acknowledge),
        )
        .route("/organizations", get(pages::organizations))
        .route("/organization/{slug}", get(pages::organization))
        .route("/login", get(login::login_form).post(login::login))
        .route("/logout", post(login::logout))
        .route("/dashboard", get(publish::dashboard))
        .route("/audit", get(audit::audit))
        .route("/account", get(account::account))
        .route("/account/tokens", post(account::create_token))
        .route("/account/tokens/{id}/revoke", post(account::revoke_token))
        .route(
            "/organization/{slug}/members",
            get(members::members).post(members::set_member),
        )
        .route(
            "/organization/{slug}/members/{user}/remove",
            post(members::remove_member),
        )
        .route("/organization/{slug}/invite", post(members::invite))
        .route(
            "/organization/{slug}/members/{user}/invite",
            post(members::renew_invitation),
        )
        .route(
            "/invite/{secret}",
            get(invite::invite_form).post(invite::accept),
        )
        .route("/feedback", get(feedback::form).post(feedback::send))
        .route("/feedback/inbox", get(feedback::inbox))
        .route("/feedback/{id}", post(feedback::answer))
        .route("/showcases", get(showcases::list))
        .route(
            "/showcases/new",
            get(showcases::new_form).post(showcases::propose).layer(
                // The picture and the form's fields around it.
                axum::extract::DefaultBodyLimit::max(
                    allmende_app::images::MAX_IMAGE_BYTES as usize + 1024 * 1024,
                ),
            ),
        )
        .route("/showcases/review", get(showcases::review_list))
        .route("/showcases/{id}/review", post(showcases::review))
        .route("/api", get(api_page::api_docs))
        .route("/impressum", get(pages::imprint))
        .route("/imprint", get(pages::imprint))
        .route("/datenschutz", get(pages::privacy))
        .route("/privacy", get(pages::privacy))
        .route("/about", get(pages::about))
        .route("/ueber", get(pages::about))
        .route("/sprache/{lang}", get(pages::switch_language))
        .route("/static/{*path}", get(static_files::static_file))
        .route("/sitemap.xml", get(discovery::sitemap))
        .route("/robots.txt", get(discovery::robots))
        .route("/feed.atom", get(discovery::feed))
        .route(
            "/organization/{slug}/feed.atom",
            get(discovery::organization_feed),
        )
        .fallback(pages::not_found)
}
