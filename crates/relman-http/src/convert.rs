//! Between the wire and the service: request bodies and queries become service inputs, service
//! answers become response bodies. The wire crate knows the domain only (the client shares it), so
//! the conversions that name service types live here, at the HTTP edge.

mod answers;
mod inputs;

pub(crate) use answers::{generated_notes, page_meta, release_list};

/// A request body or query turned into the service's input.
pub(crate) trait IntoInput<T> {
    /// The service's input.
    fn into_input(self) -> T;
}

/// A service answer turned into its response body.
pub(crate) trait IntoWire<T> {
    /// The response body.
    fn into_wire(self) -> T;
}
