//! Reading and writing a model's tensor payload: a flat little-endian sequence of f32 and i8
//! values in the order the model's layers declare. Never panics; running out of bytes is an
//! error the caller maps to [`crate::InferError::PayloadSize`].

/// Ran out of bytes (reading) or of space (writing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exhausted;

/// Cursor over a payload being loaded.
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Start reading at the beginning of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Exhausted> {
        if self.bytes.len() < n {
            return Err(Exhausted);
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    /// Fill `out` with little-endian f32 values.
    pub fn f32s(&mut self, out: &mut [f32]) -> Result<(), Exhausted> {
        let src = self.take(out.len() * 4)?;
        for (o, c) in out.iter_mut().zip(src.chunks_exact(4)) {
            *o = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        }
        Ok(())
    }

    /// Fill `out` with i8 values.
    pub fn i8s(&mut self, out: &mut [i8]) -> Result<(), Exhausted> {
        let src = self.take(out.len())?;
        for (o, &b) in out.iter_mut().zip(src) {
            *o = b as i8;
        }
        Ok(())
    }
}

/// Cursor over a caller buffer a payload is written into.
pub struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    /// Start writing at the beginning of `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Bytes written so far.
    pub fn written(&self) -> usize {
        self.pos
    }

    fn put(&mut self, n: usize) -> Result<&mut [u8], Exhausted> {
        let end = self.pos.checked_add(n).ok_or(Exhausted)?;
        let dst = self.buf.get_mut(self.pos..end).ok_or(Exhausted)?;
        self.pos = end;
        Ok(dst)
    }

    /// Append f32 values, little-endian.
    pub fn f32s(&mut self, vals: &[f32]) -> Result<(), Exhausted> {
        let dst = self.put(vals.len() * 4)?;
        for (c, v) in dst.chunks_exact_mut(4).zip(vals) {
            c.copy_from_slice(&v.to_le_bytes());
        }
        Ok(())
    }

    /// Append i8 values.
    pub fn i8s(&mut self, vals: &[i8]) -> Result<(), Exhausted> {
        let dst = self.put(vals.len())?;
        for (d, &v) in dst.iter_mut().zip(vals) {
            *d = v as u8;
        }
        Ok(())
    }
}
