//! Section sizes of a 32-bit little-endian ELF file (the firmware image), without binutils.

use std::fmt;

const SHF_WRITE: u32 = 0x1;
const SHF_ALLOC: u32 = 0x2;
const SHF_EXECINSTR: u32 = 0x4;
const SHT_NOBITS: u32 = 8;

/// One section of the image.
#[derive(Clone, Debug)]
pub struct Section {
    /// Name, e.g. `.text`.
    pub name: String,
    /// Bytes.
    pub size: u64,
    /// Occupies memory at run time.
    pub alloc: bool,
    /// Writable at run time (RAM).
    pub write: bool,
    /// Machine code.
    pub exec: bool,
    /// Has file contents (`PROGBITS`); `.bss` and `.uninit` do not.
    pub has_bits: bool,
}

/// Where the image's bytes go on a part.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Footprint {
    /// Bytes programmed into flash: every allocated section with contents, the sum of the
    /// three fields below.
    pub flash: u64,
    /// Machine code (`.text`).
    pub code: u64,
    /// Read-only data (`.vector_table`, `.rodata`, which holds the embedded weight bundle).
    pub rodata: u64,
    /// Initial values of writable statics (`.data`), copied from flash to RAM at reset.
    pub data_image: u64,
    /// Statically allocated RAM: every writable allocated section (`.data`, `.bss`, `.uninit`).
    pub static_ram: u64,
}

/// A malformed or unsupported ELF file.
#[derive(Debug)]
pub struct ElfError(&'static str);

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a 32-bit little-endian ELF image: {}", self.0)
    }
}

impl std::error::Error for ElfError {}

fn u16_at(b: &[u8], at: usize) -> Result<u16, ElfError> {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .ok_or(ElfError("truncated"))
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, ElfError> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or(ElfError("truncated"))
}

/// The sections of an ELF32 LE image, in file order.
///
/// # Errors
/// [`ElfError`] when the bytes are not such an image.
pub fn sections(b: &[u8]) -> Result<Vec<Section>, ElfError> {
    if b.get(..6) != Some(&[0x7f, b'E', b'L', b'F', 1, 1][..]) {
        return Err(ElfError("bad identification bytes"));
    }
    let shoff = u32_at(b, 0x20)? as usize;
    let shentsize = u16_at(b, 0x2e)? as usize;
    let shnum = u16_at(b, 0x30)? as usize;
    let shstrndx = u16_at(b, 0x32)? as usize;
    if shentsize < 40 || shstrndx >= shnum {
        return Err(ElfError("bad section header table"));
    }
    let header = |i: usize| shoff + i * shentsize;
    let strtab = u32_at(b, header(shstrndx) + 16)? as usize;
    let mut out = Vec::with_capacity(shnum);
    for i in 1..shnum {
        let h = header(i);
        let name_at = strtab + u32_at(b, h)? as usize;
        let name_len = b
            .get(name_at..)
            .and_then(|s| s.iter().position(|&c| c == 0))
            .ok_or(ElfError("bad section name"))?;
        let flags = u32_at(b, h + 8)?;
        out.push(Section {
            name: String::from_utf8_lossy(&b[name_at..name_at + name_len]).into_owned(),
            size: u64::from(u32_at(b, h + 20)?),
            alloc: flags & SHF_ALLOC != 0,
            write: flags & SHF_WRITE != 0,
            exec: flags & SHF_EXECINSTR != 0,
            has_bits: u32_at(b, h + 4)? != SHT_NOBITS,
        });
    }
    Ok(out)
}

/// Flash and static RAM of an image's sections.
pub fn footprint(sections: &[Section]) -> Footprint {
    let mut f = Footprint::default();
    for s in sections.iter().filter(|s| s.alloc) {
        if s.has_bits {
            f.flash += s.size;
            match (s.exec, s.write) {
                (true, _) => f.code += s.size,
                (false, false) => f.rodata += s.size,
                (false, true) => f.data_image += s.size,
            }
        }
        if s.write {
            f.static_ram += s.size;
        }
    }
    f
}
