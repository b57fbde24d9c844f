//! The few pieces of the Protocol Buffers wire format an ONNX file needs: varints, 32-bit
//! floats, length-delimited strings and nested messages (encoding only).
//!
//! Wire format: each field is a key `(number << 3) | wire type` as a varint, then the value:
//! a varint (type 0), a little-endian 32-bit value (type 5) or a varint length and that many
//! bytes (type 2, strings, bytes and nested messages).

/// One message being written.
#[derive(Clone, Debug, Default)]
pub struct Message {
    buf: Vec<u8>,
}

const VARINT: u32 = 0;
const LEN: u32 = 2;
const FIXED32: u32 = 5;

impl Message {
    /// An empty message.
    pub fn new() -> Self {
        Self::default()
    }

    /// The encoded bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    fn key(&mut self, field: u32, wire: u32) {
        self.varint(u64::from((field << 3) | wire));
    }

    /// An integer field (negative values take ten bytes, as protobuf's int64 does).
    pub fn int(&mut self, field: u32, v: i64) -> &mut Self {
        self.key(field, VARINT);
        self.varint(v as u64);
        self
    }

    /// A 32-bit float field.
    pub fn float(&mut self, field: u32, v: f32) -> &mut Self {
        self.key(field, FIXED32);
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }

    /// A bytes field.
    pub fn bytes_field(&mut self, field: u32, v: &[u8]) -> &mut Self {
        self.key(field, LEN);
        self.varint(v.len() as u64);
        self.buf.extend_from_slice(v);
        self
    }

    /// A string field.
    pub fn string(&mut self, field: u32, v: &str) -> &mut Self {
        self.bytes_field(field, v.as_bytes())
    }

    /// A nested message field.
    pub fn message(&mut self, field: u32, m: &Message) -> &mut Self {
        self.bytes_field(field, &m.buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_the_wire_format_of_the_protobuf_documentation() {
        // The documentation's examples: field 1 = 150 is 08 96 01; field 2 = "testing" is
        // 12 07 74 65 73 74 69 6e 67; a nested message 1 = 150 in field 3 is 1a 03 08 96 01.
        assert_eq!(Message::new().int(1, 150).bytes(), [0x08, 0x96, 0x01]);
        assert_eq!(Message::new().string(2, "testing").bytes(), b"\x12\x07testing");
        let mut inner = Message::new();
        inner.int(1, 150);
        assert_eq!(Message::new().message(3, &inner).bytes(), [0x1a, 0x03, 0x08, 0x96, 0x01]);
        // int64 −1: ten bytes, all ones.
        let m = Message::new().int(1, -1).bytes().to_vec();
        assert_eq!(m.len(), 11);
        assert_eq!(&m[1..], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        // A float: key (field 2, type 5) then little-endian bytes.
        assert_eq!(Message::new().float(2, 1.0).bytes(), [0x15, 0x00, 0x00, 0x80, 0x3f]);
    }
}
