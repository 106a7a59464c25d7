//! Maintenance: rebuild the search index, migrate the schema, copy the catalog to another
//! database, back up a data directory.

use std::path::PathBuf;

use allmende::{Config, open_catalog};
use anyhow::{Context, bail};

use super::Common;

pub async fn reindex(common: Common) -> anyhow::Result<()> {
    let config = Config::load(&common.data_dir, common.config.as_deref())?;
    let catalog = open_catalog(&config, &common.data_dir).await?;
    let started = std::time::Instant::now();
    let docs = allmende_search::SearchService::rebuild(&catalog, &common.data_dir).await?;
    println!(
        "search index rebuilt: {docs} datasets in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    catalog.db.close().await;
    Ok(())
}

pub async fn migrate(common: Common) -> anyhow::Result<()> {
    let config = Config::load(&common.data_dir, common.config.as_deref())?;
    let db = allmende::connect(&config.database_url, &config).await?;
    let before = db.schema_version().await?;
    db.migrate()
        .await
        .context("migrating the catalog database")?;
    let after = db.schema_version().await?;
    println!(
        "{}: schema version {before} -> {after} (this binary supports {})",
        allmende_catalog::db::redact(&config.database_url),
        db.supported_version()
    );
    db.close().await;
    Ok(())
}

pub async fn copy_catalog(from: Option<String>, to: String, common: Common) -> anyhow::Result<()> {
    let config = Config::load(&common.data_dir, common.config.as_deref())?;
    let from = from.unwrap_or_else(|| config.database_url.clone());
    if from == to {
        bail!("source and target are the same database");
    }
    let source = allmende::connect(&from, &config).await?;
    let target = allmende::connect(&to, &config).await?;
    source
        .migrate()
        .await
        .context("migrating the source database")?;
    target
        .migrate()
        .await
        .context("migrating the target database")?;
    let report = allmende_catalog::copy::copy_catalog(&source, &target).await?;
    for (table, rows) in &report.tables {
        println!("{table}\t{rows} rows");
    }
    println!(
        "copied {} -> {}; row counts verified. Files stay in {}.",
        allmende_catalog::db::redact(&from),
        allmende_catalog::db::redact(&to),
        common.data_dir.join("files").display()
    );
    source.close().await;
    target.close().await;
    Ok(())
}

pub async fn backup(to: PathBuf, common: Common) -> anyhow::Result<()> {
    let config = Config::load(&common.data_dir, common.config.as_deref())?;
    let catalog = open_catalog(&config, &common.data_dir).await?;
    let (db_bytes, files) = allmende::backup(&catalog, &common.data_dir, &to).await?;
    println!(
        "backup written to {}: catalog {db_bytes} bytes, {files} files",
        to.display()
    );
    catalog.db.close().await;
    Ok(())
}
