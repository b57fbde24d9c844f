use std::time::Instant;
use hdrl_infer::fixtures::{f32_models, quantize, bundle_bytes};
use hdrl_infer::*;
#[test]
fn pieces() {
    let t = Instant::now();
    let f = f32_models(5);
    eprintln!("f32_models {:?}", t.elapsed());
    let q = quantize(&f);
    eprintln!("quantize {:?}", t.elapsed());
    let p = q.dqn.payload();
    eprintln!("payload dqn {:?} {}", t.elapsed(), p.len());
    let b = bundle_bytes(&*q.dqn, &*q.ppo, &*q.lstm, EncoderConfig::DEFAULT, Provenance::default());
    eprintln!("bundle_bytes {:?} {}", t.elapsed(), b.len());
    let _ = checksum::crc32(&b);
    eprintln!("crc {:?}", t.elapsed());
    let bb = Bundle::parse(&b).unwrap();
    eprintln!("parse {:?}", t.elapsed());
    drop(bb);
    let h = Hierarchy::<I8>::load(&b).unwrap();
    eprintln!("load {:?}", t.elapsed());
    let mut w = Window::new();
    h.decide(&mut w, &Observation::default()).unwrap();
    eprintln!("decide {:?}", t.elapsed());
}
