//! RESP2/RESP3: the request decoder and the reply encoder. Nothing here knows about the
//! server, clients or storage.
pub mod decode;
pub mod encode;

pub use decode::{Decoder, Limits, ProtocolError, Request};
pub use encode::Reply;
