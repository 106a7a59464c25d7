//! CQL2's `ACCENTI`: text without its diacritics (`Müller` → `Muller`, `Café` → `Cafe`), by
//! canonical decomposition without the combining marks; `ß` and other letters stay.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

pub(super) fn fold(s: &str) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    s.nfd().filter(|c| !is_combining_mark(*c)).nfc().collect()
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Unaccent {
    signature: Signature,
}

impl ScalarUDFImpl for Unaccent {
    fn name(&self) -> &str {
        "accenti"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let a = cast(&args.args[0].to_array(args.number_rows)?, &DataType::Utf8)?;
        let text = a.as_string::<i32>();
        let mut out = StringBuilder::with_capacity(text.len(), text.value_data().len());
        for row in 0..text.len() {
            if text.is_null(row) {
                out.append_null();
            } else {
                out.append_value(fold(text.value(row)));
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// `e` without diacritics.
pub(super) fn call(e: Expr) -> Expr {
    ScalarUDF::new_from_impl(Unaccent {
        signature: Signature::uniform(
            1,
            vec![DataType::Utf8, DataType::LargeUtf8, DataType::Utf8View],
            Volatility::Immutable,
        ),
    })
    .call(vec![e])
}
