//! Reading an object, whole or one byte range, as a stream.

use std::ops::Range;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use object_store::{GetOptions, GetRange};

use crate::{ObjectKey, Objects, ObjectsError};

/// An object being read.
pub struct ObjectRead {
    /// The whole object's size in bytes (not the range's).
    pub size: u64,
    /// The bytes asked for, chunk by chunk.
    pub stream: BoxStream<'static, Result<Bytes, ObjectsError>>,
}

impl std::fmt::Debug for ObjectRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectRead")
            .field("size", &self.size)
            .finish()
    }
}

impl Objects {
    /// Reads the object at `key`, or the half-open byte `range` of it.
    pub async fn get(
        &self,
        key: &ObjectKey,
        range: Option<Range<u64>>,
    ) -> Result<ObjectRead, ObjectsError> {
        if let Some(r) = &range
            && r.start >= r.end
        {
            return Err(ObjectsError::Range {
                start: r.start,
                end: r.end,
            });
        }
        let options = GetOptions {
            range: range.clone().map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let result = match self.store.get_opts(key.path(), options).await {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(ObjectsError::NotFound {
                    key: key.to_string(),
                });
            }
            Err(e) => {
                return Err(match range {
                    Some(r) if e.to_string().contains("range") => ObjectsError::Range {
                        start: r.start,
                        end: r.end,
                    },
                    _ => self.error(e),
                });
            }
        };
        let size = result.meta.size;
        let backend = self.backend;
        let stream = result
            .into_stream()
            .map_err(move |e| ObjectsError::Store {
                backend,
                message: e.to_string(),
            })
            .boxed();
        Ok(ObjectRead { size, stream })
    }
}
