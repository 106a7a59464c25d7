//! Resources: adding a file or a link, replacing a file, and queueing what the data plane
//! reads. A tabular file's table follows it through the ingestion worker; a new file of a
//! table becomes current together with its table.

use allmende_catalog::{NewFile, NewResource, StagedBlob, TableVersion};
use allmende_core::validate::ResourceInput;
use allmende_core::{Dataset, FieldErrors, ProcessingStatus, Resource, vocab};
use allmende_table::IngestOptions;

use crate::{App, AppError, AppResult};

/// An upload staged in the file store (streamed there by a front door), with its name.
pub struct Upload {
    pub staged: StagedBlob,
    pub file_name: String,
    /// Its table being read while it arrived (stopped if the upload is not stored).
    pub early: Option<crate::ingest::EarlyRead>,
}

/// A committed upload with its detected format.
pub struct StoredUpload {
    pub file: NewFile,
    pub format: Option<String>,
    pub media_type: Option<String>,
    /// Whether this content was new to the store (so it may be removed if the row fails).
    pub new_blob: bool,
}

/// Whether a resource's file goes to the data plane: its format (detected from the content at
/// upload, or given for a link) is a table, or its name says it should be one. A file named
/// `.csv` that is really GeoJSON or binary is read too, so that its table fails with the
/// detector's clear answer ("keine Tabelle, sondern GeoJSON") instead of silently having none.
pub fn is_tabular(res: &Resource) -> bool {
    let link_path = res
        .url
        .as_deref()
        .map(|u| u.split(['?', '#']).next().unwrap_or(u));
    (res.sha256.is_some() || res.url.is_some())
        && reads_as_table(
            res.format.as_deref(),
            res.file_name.as_deref().or(link_path),
        )
}

/// Whether a file of this format (or, failing that, this name) is read as a table.
fn reads_as_table(format: Option<&str>, name: Option<&str>) -> bool {
    format
        .and_then(allmende_table::detect::table_format)
        .is_some()
        || name
            .and_then(allmende_table::InputFormat::from_hint)
            .is_some()
}

/// A resource's media type once its format is set to `format`: kept while the format stays
/// (it may be more precise, detected from the file), else the file type's own.
pub fn media_type_after(res: &Resource, format: Option<&str>) -> Option<String> {
    if format == res.format.as_deref() {
        res.media_type.clone()
    } else {
        format
            .and_then(vocab::file_type)
            .map(|t| t.media_type.to_string())
    }
}

impl App {
    /// Bytes already in memory (a request body, a generated file) as an upload, staged like
    /// a streamed one: at most `limit` bytes.
    pub async fn stage_bytes(
        &self,
        bytes: &[u8],
        file_name: &str,
        limit: u64,
    ) -> AppResult<Upload> {
        let mut staged = self.catalog.files.stage(limit).await?;
        staged.write(bytes).await?;
        Ok(Upload {
            staged,
            file_name: file_name.to_string(),
            early: None,
        })
    }

    /// Called by a front door streaming an upload once its first
    /// [`HEAD_BYTES`](allmende_table::detect::HEAD_BYTES) are staged: a table in delimited text
    /// starts being read now, while the rest arrives.
    pub async fn read_while_arriving(
        &self,
        staged: &mut StagedBlob,
        file_name: &str,
    ) -> Option<crate::ingest::EarlyRead> {
        let early = self.early_reads.as_ref()?;
        let head = staged.head(allmende_table::detect::HEAD_BYTES).await.ok()?;
        early.begin(staged.path(), &head, file_name)
    }

    /// Moves a staged upload into the store, detecting its format from the content.
    pub async fn commit_upload(&self, mut upload: Upload) -> AppResult<StoredUpload> {
        let head = upload
            .staged
            .head(allmende_table::detect::HEAD_BYTES)
            .await?;
        // The ZIP's central directory names every entry (a Shapefile's .shp may come after a
        // .dbf larger than the head); reading it is a little blocking I/O.
        let (path, name) = (upload.staged.path().to_path_buf(), upload.file_name.clone());
        let detected = tokio::task::spawn_blocking(move || {
            allmende_table::detect::detect_with_head(&path, &head, &name)
                .unwrap_or_else(|_| allmende_table::detect::detect(&head, &name))
                .file_type
        })
        .await
        .map_err(std::io::Error::other)?;
        let (sha256, size, new_blob) = self.catalog.files.commit(upload.staged).await?;
        if let Some(early) = upload.early {
            early.complete(&sha256, size);
        }
        Ok(StoredUpload {
            file: NewFile {
                sha256,
                size: size as i64,
                file_name: upload.file_name,
            },
            format: Some(detected.code.to_string()),
            media_type: Some(detected.media_type.to_string()),
            new_blob,
        })
    }

    /// Removes a just-stored blob when the catalog row that should point at it was not written.
    pub async fn discard_if_unused(&self, stored: &StoredUpload) {
        if stored.new_blob {
            self.discard_blob_if_unused(&stored.file.sha256).await;
        }
    }

    /// Removes a blob nothing in the catalog points at any more.
    pub async fn discard_blob_if_unused(&self, sha256: &str) {
        if matches!(self.catalog.blob_in_use(sha256).await, Ok(false))
            && let Err(e) = self.catalog.files.delete(sha256).await
        {
            tracing::warn!(error = %e, sha256 = %sha256, "could not remove an unused file");
        }
    }

    /// Adds a resource to a dataset the caller may edit: a file (whose table is then read in
    /// the background when it is one) or, without a file, a link.
    pub async fn add_resource(
        &self,
        ds: &Dataset,
        input: ResourceInput,
        file: Option<Upload>,
    ) -> AppResult<Resource> {
        let Some(file) = file else {
            return self.add_link(ds, input).await;
        };
        if input.url.is_some() {
            return Err(AppError::Validation(FieldErrors::single(
                "url",
                "url_with_file",
            )));
        }
        let fields = input
            .validate(Some(&file.file_name))
            .map_err(AppError::Validation)?;
        let stored = self.commit_upload(file).await?;
        let format = fields.format.clone().or(stored.format.clone());
        let media_type = match &fields.format {
            Some(f) => vocab::file_type(f).map(|t| t.media_type.to_string()),
            None => stored.media_type.clone(),
        };
        // Scan before serve: on a public dataset a table's file is withheld (its metadata shows,
        // the file does not) until its privacy check lets it out.
        let withheld = crate::access::is_public(ds)
            && reads_as_table(format.as_deref(), Some(&stored.file.file_name));
        let new = NewResource {
            fields,
            file: Some(stored.file.clone()),
            format,
            media_type,
            status: ProcessingStatus::None,
            withheld,
        };
        match self.catalog.create_resource(ds.id, &new).await {
            Ok(r) if is_tabular(&r) => {
                self.schedule_ingest(&r, &Default::default()).await?;
                Ok(self.catalog.resource(r.id).await?.unwrap_or(r))
            }
            Ok(r) => Ok(r),
            Err(e) => {
                self.discard_if_unused(&stored).await;
                Err(e.into())
            }
        }
    }

    async fn add_link(&self, ds: &Dataset, input: ResourceInput) -> AppResult<Resource> {
        let fields = input.validate(None).map_err(AppError::Validation)?;
        if fields.url.is_none() {
            return Err(AppError::Validation(FieldErrors::single(
                "file",
                "file_or_url",
            )));
        }
        let format = fields.format.clone().or_else(|| {
            fields
                .url
                .as_deref()
                .and_then(|u| u.split(['?', '#']).next())
                .and_then(|p| p.rsplit_once('.'))
                .and_then(|(_, ext)| vocab::file_type_by_extension(ext))
                .map(|t| t.code.to_string())
        });
        let media_type = format
            .as_deref()
            .and_then(vocab::file_type)
            .map(|t| t.media_type.to_string());
        let new = NewResource {
            fields,
            file: None,
            format,
            media_type,
            status: ProcessingStatus::None,
            withheld: false,
        };
        Ok(self.catalog.create_resource(ds.id, &new).await?)
    }

    /// The resource's current metadata as input, to change some of it.
    pub fn resource_input(res: &Resource) -> ResourceInput {
        ResourceInput {
            title: Some(res.title.clone()),
            description: Some(res.description.clone()),
            url: res.url.clone(),
            format: res.format.clone(),
            license: res.license.clone(),
            position: Some(res.position),
        }
    }

    /// Changes a resource's metadata (title, description, format, licence, a link's address).
    /// A file stays a file and a link a link: the file is changed with [`App::replace_file`].
    pub async fn update_resource(
        &self,
        res: &Resource,
        ds: &Dataset,
        input: ResourceInput,
    ) -> AppResult<Resource> {
        if res.url.is_none() && input.url.is_some() {
            return Err(AppError::Validation(FieldErrors::single(
                "url",
                "url_with_file",
            )));
        }
        if res.url.is_some() && input.url.is_none() {
            return Err(AppError::Validation(FieldErrors::single("url", "required")));
        }
        let fields = input.validate(None).map_err(AppError::Validation)?;
        let media_type = media_type_after(res, fields.format.as_deref());
        Ok(self
            .catalog
            .update_resource(res.id, ds.id, &fields, media_type.as_deref())
            .await?)
    }

    /// Queues ingestion of a resource's current file (or link), and wakes the worker.
    pub async fn schedule_ingest(
        &self,
        res: &Resource,
        options: &IngestOptions,
    ) -> AppResult<TableVersion> {
        let opts = serde_json::to_value(options).map_err(|e| AppError::Internal(e.to_string()))?;
        let v = match (&res.sha256, &res.url) {
            (Some(sha), _) => {
                self.catalog
                    .schedule_ingest(res.id, sha, res.file_name.as_deref(), &opts)
                    .await?
            }
            // A link: the worker fetches it (with the SSRF guard) before reading it.
            (None, Some(url)) => {
                self.catalog
                    .schedule_fetch_ingest(res.id, url, &opts)
                    .await?
            }
            (None, None) => return Err(AppError::NotFound),
        };
        self.jobs.notify_one();
        Ok(v)
    }

    /// Stores a new file for a resource (metadata unchanged). A table's new file is queued as
    /// the next version and becomes the resource's file together with its table (until then
    /// the current file and table stay, and a failed read changes neither); any other file
    /// replaces the current one at once.
    pub async fn replace_file(
        &self,
        res: &Resource,
        ds: &Dataset,
        file: Upload,
    ) -> AppResult<(Resource, Option<TableVersion>)> {
        let stored = self.commit_upload(file).await?;
        let incoming = Resource {
            sha256: Some(stored.file.sha256.clone()),
            file_name: Some(stored.file.file_name.clone()),
            format: stored.format.clone().or_else(|| res.format.clone()),
            url: None,
            ..res.clone()
        };
        if is_tabular(&incoming) {
            let v = match self
                .catalog
                .schedule_replacement(
                    res.id,
                    &stored.file,
                    stored.format.as_deref(),
                    stored.media_type.as_deref(),
                )
                .await
            {
                Ok(v) => v,
                Err(e) => {
                    self.discard_if_unused(&stored).await;
                    return Err(e.into());
                }
            };
            self.jobs.notify_one();
            let res = self
                .catalog
                .resource(res.id)
                .await?
                .ok_or(AppError::NotFound)?;
            return Ok((res, Some(v)));
        }
        if let Err(e) = self
            .catalog
            .replace_resource_file(
                res.id,
                ds.id,
                &stored.file,
                stored.format.as_deref(),
                stored.media_type.as_deref(),
            )
            .await
        {
            self.discard_if_unused(&stored).await;
            return Err(e.into());
        }
        let res = self
            .catalog
            .resource(res.id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok((res, None))
    }
}
