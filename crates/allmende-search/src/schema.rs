//! The index layout. Bump `SCHEMA_VERSION` whenever fields or analysis change: an index of
//! another version is rebuilt from the catalog at start.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use crate::analyzer::{GERMAN, WORDS};

pub const SCHEMA_VERSION: u32 = 3;

#[derive(Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub slug: Field,
    pub created: Field,
    pub org_id: Field,
    pub visibility: Field,
    pub title: Field,
    pub keywords_text: Field,
    pub description: Field,
    pub org_name: Field,
    pub resources: Field,
    pub themes_text: Field,
    pub spatial: Field,
    pub words: Field,
    pub organization: Field,
    pub theme: Field,
    pub keyword: Field,
    pub format: Field,
    pub license: Field,
    /// How the data can be used beyond downloading: `table` (records, SQL and export APIs).
    pub data: Field,
    pub modified: Field,
    pub issued: Field,
    pub title_sort: Field,
    pub doc: Field,
}

/// Free-text fields with their boosts.
pub fn text_fields(f: &Fields) -> [(Field, f32); 7] {
    [
        (f.title, 3.0),
        (f.keywords_text, 2.0),
        (f.description, 1.0),
        (f.org_name, 1.0),
        (f.resources, 1.0),
        (f.themes_text, 1.0),
        (f.spatial, 1.0),
    ]
}

fn german(stored: bool) -> TextOptions {
    let o = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(GERMAN)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    if stored { o.set_stored() } else { o }
}

pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(WORDS)
            .set_index_option(IndexRecordOption::Basic),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED | FAST),
        slug: b.add_text_field("slug", STRING | FAST),
        created: b.add_i64_field("created", INDEXED | FAST),
        org_id: b.add_text_field("org_id", STRING),
        visibility: b.add_text_field("visibility", STRING),
        title: b.add_text_field("title", german(true)),
        keywords_text: b.add_text_field("keywords_text", german(false)),
        description: b.add_text_field("description", german(true)),
        org_name: b.add_text_field("org_name", german(false)),
        resources: b.add_text_field("resources", german(false)),
        themes_text: b.add_text_field("themes_text", german(false)),
        spatial: b.add_text_field("spatial", german(false)),
        words: b.add_text_field("words", words),
        organization: b.add_text_field("organization", STRING | FAST),
        theme: b.add_text_field("theme", STRING | FAST),
        keyword: b.add_text_field("keyword", STRING | FAST),
        format: b.add_text_field("format", STRING | FAST),
        license: b.add_text_field("license", STRING | FAST),
        data: b.add_text_field("data", STRING | FAST),
        modified: b.add_i64_field("modified", INDEXED | FAST),
        issued: b.add_i64_field("issued", INDEXED | FAST),
        title_sort: b.add_text_field("title_sort", STRING | FAST),
        doc: b.add_text_field("doc", STORED),
    };
    (b.build(), fields)
}
