//! Weight files: round trips give identical outputs; every kind of bad file is its own error.

use hdrl_infer::checksum::crc32;
use hdrl_infer::fixtures::{bundle_bytes, f32_models, quantize, seeded_bundle};
use hdrl_infer::weights::{FORMAT_VERSION, HEADER_BYTES, MAGIC, Metric};
use hdrl_infer::{
    Bundle, EncoderConfig, F32, Hierarchy, I8, InferError, Kernels, Model, ModelKind, Observation, Provenance, Quant,
    Window,
};

fn obs(i: u32) -> Observation {
    let mut o = Observation::default();
    o.strategic.cost_usd_per_m = 3.0 + i as f32;
    o.strategic.latency_p95_ms = 120.0 * (i + 1) as f32;
    o.strategic.daily_invocations = 1e4 * (i + 1) as f32;
    o.app.mean_duration_ms = 250.0;
    o.app.memory_need_mb = 200.0;
    o.app.sla_ms = 1000.0;
    o.tactical.request_rate = 0.5 * i as f32;
    o.tactical.latency_ms = 300.0;
    o.step.request_rate = (i % 7) as f32;
    o.step.memory_used_mb = 150.0;
    o.step.hour_of_day = (i % 24) as f32;
    o
}

/// Rewrite header fields and recompute the checksum over a new body.
fn reframe(body: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32(body).to_le_bytes());
    out.extend_from_slice(body);
    out
}

#[test]
fn round_trip_gives_identical_outputs_f32_and_int8() {
    let f = f32_models(21);
    let q = quantize(&f);
    let k = Kernels::detect();
    for quant in [Quant::F32, Quant::I8] {
        let bytes = seeded_bundle(21, quant);
        let x = [0.3f32; 23];
        let (mut a, mut b) = ([0.0; 3], [0.0; 3]);
        match quant {
            Quant::F32 => {
                let h = Hierarchy::<F32>::load(&bytes).unwrap();
                h.dqn.forward(&k, &x, &mut a).unwrap();
                f.dqn.forward(&k, &x, &mut b).unwrap();
                assert_eq!(h.dqn.payload(), f.dqn.payload());
                assert_eq!(h.ppo.payload(), f.ppo.payload());
                assert_eq!(h.lstm.payload(), f.lstm.payload());
            }
            _ => {
                let h = Hierarchy::<I8>::load(&bytes).unwrap();
                h.dqn.forward(&k, &x, &mut a).unwrap();
                q.dqn.forward(&k, &x, &mut b).unwrap();
                assert_eq!(h.lstm.payload(), q.lstm.payload());
            }
        }
        assert_eq!(a, b);
        // Serialising the parsed bundle again gives the same bytes.
        assert_eq!(Bundle::parse(&bytes).unwrap().to_bytes().unwrap(), bytes);
    }
}

#[test]
fn decisions_survive_a_round_trip() {
    let bytes = seeded_bundle(22, Quant::F32);
    let h1 = Hierarchy::<F32>::load(&bytes).unwrap();
    let h2 = Hierarchy::<F32>::load(&Bundle::parse(&bytes).unwrap().to_bytes().unwrap()).unwrap();
    let (mut w1, mut w2) = (Window::new(), Window::new());
    for i in 0..30 {
        assert_eq!(h1.decide(&mut w1, &obs(i)).unwrap(), h2.decide(&mut w2, &obs(i)).unwrap());
    }
}

#[test]
fn provenance_and_encoder_are_stored() {
    let f = f32_models(23);
    let mut metrics = heapless::Vec::new();
    metrics.push(Metric { name: "val_reward", value: 0.75 }).unwrap();
    let mut enc = EncoderConfig::DEFAULT;
    enc.tactical[2].hi = 500.0;
    let prov = Provenance {
        trace: "azure2021.csv",
        seed: 99,
        created_unix_s: 1_790_000_000,
        git_rev: "abc123",
        note: "test",
        metrics,
    };
    let bytes = bundle_bytes(&*f.dqn, &*f.ppo, &*f.lstm, enc, prov.clone());
    let b = Bundle::parse(&bytes).unwrap();
    assert_eq!(b.provenance, prov);
    assert_eq!(b.encoder, enc);
    let h = Hierarchy::<F32>::load(&bytes).unwrap();
    assert_eq!(h.encoder, enc);
}

#[test]
fn subsets_load_and_missing_models_are_named() {
    let f = f32_models(24);
    let p = f.dqn.payload();
    let mut models = heapless::Vec::new();
    models.push(hdrl_infer::Dqn::<F32>::record(&p)).unwrap();
    let b = Bundle {
        provenance: Provenance::default(),
        encoder: EncoderConfig::DEFAULT,
        reward_bounds: hdrl_infer::RewardBounds::DEFAULT,
        prices: None,
        carbon_profile: None,
        models,
    };
    let bytes = b.to_bytes().unwrap();
    let h = Hierarchy::<F32>::load(&bytes).unwrap();
    assert!(h.has(ModelKind::Dqn) && !h.has(ModelKind::Ppo) && !h.has(ModelKind::Lstm));
    assert!(h.q_values(&Default::default(), &Default::default(), &Default::default()).is_ok());
    assert_eq!(h.decide(&mut Window::new(), &obs(1)), Err(InferError::MissingModel { kind: ModelKind::Ppo }));
    assert_eq!(h.forecast(&Window::new()), Err(InferError::MissingModel { kind: ModelKind::Lstm }));
}

#[test]
fn every_bad_file_is_its_own_error() {
    let good = seeded_bundle(25, Quant::F32);
    let load = |b: &[u8]| Hierarchy::<F32>::load(b).map(|_| ());
    assert_eq!(load(&good), Ok(()));

    let mut bad = good.clone();
    bad[0] ^= 0xFF;
    assert_eq!(load(&bad), Err(InferError::BadMagic));
    assert_eq!(load(b"PK\x03\x04 a zip file"), Err(InferError::BadMagic));
    assert_eq!(load(b""), Err(InferError::Truncated));
    assert_eq!(load(&good[..5]), Err(InferError::Truncated));
    assert_eq!(load(&good[..HEADER_BYTES - 1]), Err(InferError::Truncated));

    // Files of every earlier version (1: before reward bounds, 2: before the carbon inputs,
    // 3: the forecaster's softplus output) and a future one: each a clear error.
    let mut bad = good.clone();
    for v in [1u8, 2, 3, FORMAT_VERSION as u8 + 1] {
        bad[8] = v;
        assert_eq!(load(&bad), Err(InferError::UnsupportedVersion { found: v as u16 }));
    }
    assert!(InferError::UnsupportedVersion { found: 1 }.to_string().contains("export the models again"));

    assert_eq!(load(&good[..good.len() - 1]), Err(InferError::Truncated));
    let mut bad = good.clone();
    bad.push(0);
    assert_eq!(load(&bad), Err(InferError::TrailingBytes));

    let mut bad = good.clone();
    let n = bad.len();
    bad[n / 2] ^= 0x10;
    assert!(matches!(load(&bad), Err(InferError::ChecksumMismatch { .. })));

    assert_eq!(load(&reframe(b"\xff\xff\xff\xff\xff garbage")), Err(InferError::Malformed));

    // Structurally valid bundles with bad content.
    let f = f32_models(26);
    let pd = f.dqn.payload();
    let with = |models: Vec<hdrl_infer::ModelRecord<'_>>, enc: EncoderConfig| {
        let b = Bundle {
            provenance: Provenance::default(),
            encoder: enc,
            reward_bounds: hdrl_infer::RewardBounds::DEFAULT,
            prices: None,
            carbon_profile: None,
            models: heapless::Vec::from_slice(&models).unwrap(),
        };
        b.to_bytes().unwrap()
    };
    let rec = hdrl_infer::Dqn::<F32>::record(&pd);

    let mut r = rec.clone();
    r.kind = 7;
    assert_eq!(load(&with(vec![r], EncoderConfig::DEFAULT)), Err(InferError::UnknownKind { found: 7 }));

    assert_eq!(
        load(&with(vec![rec.clone(), rec.clone()], EncoderConfig::DEFAULT)),
        Err(InferError::DuplicateModel { kind: ModelKind::Dqn })
    );

    let mut r = rec.clone();
    r.dims[2] = 65;
    assert_eq!(
        load(&with(vec![r], EncoderConfig::DEFAULT)),
        Err(InferError::Shape { kind: ModelKind::Dqn, index: 2, want: 64, got: 65 })
    );
    let mut r = rec.clone();
    r.dims.pop();
    assert!(matches!(load(&with(vec![r], EncoderConfig::DEFAULT)), Err(InferError::Shape { index: 255, .. })));

    let mut r = rec.clone();
    r.payload = &pd[..pd.len() - 4];
    assert!(matches!(
        load(&with(vec![r], EncoderConfig::DEFAULT)),
        Err(InferError::PayloadSize { kind: ModelKind::Dqn, .. })
    ));

    let mut nan = pd.clone();
    nan[40..44].copy_from_slice(&f32::NAN.to_le_bytes());
    let mut r = rec.clone();
    r.payload = &nan;
    assert_eq!(
        load(&with(vec![r], EncoderConfig::DEFAULT)),
        Err(InferError::NonFiniteWeight { kind: Some(ModelKind::Dqn) })
    );

    let mut enc = EncoderConfig::DEFAULT;
    enc.operational[0].hi = -1.0;
    assert_eq!(load(&with(vec![rec.clone()], enc)), Err(InferError::BadEncoder { feature: 22 }));

    for bounds in [
        hdrl_infer::RewardBounds { max_cost_usd: 0.0, ..hdrl_infer::RewardBounds::DEFAULT },
        hdrl_infer::RewardBounds { max_latency_ms: f32::NAN, ..hdrl_infer::RewardBounds::DEFAULT },
        hdrl_infer::RewardBounds { max_carbon_g: -1.0, ..hdrl_infer::RewardBounds::DEFAULT },
    ] {
        let b = Bundle {
            provenance: Provenance::default(),
            encoder: EncoderConfig::DEFAULT,
            reward_bounds: bounds,
            prices: None,
            carbon_profile: None,
            models: heapless::Vec::from_slice(std::slice::from_ref(&rec)).unwrap(),
        };
        assert_eq!(load(&b.to_bytes().unwrap()), Err(InferError::BadRewardBounds), "{bounds:?}");
    }

    let with_defaults = |prices, carbon_profile| {
        Bundle {
            provenance: Provenance::default(),
            encoder: EncoderConfig::DEFAULT,
            reward_bounds: hdrl_infer::RewardBounds::DEFAULT,
            prices,
            carbon_profile,
            models: heapless::Vec::from_slice(std::slice::from_ref(&rec)).unwrap(),
        }
        .to_bytes()
        .unwrap()
    };
    let mut prices = hdrl_infer::fixtures::FIXTURE_PRICES;
    prices.providers[2].usd_per_gb_s = -1e-6;
    assert_eq!(load(&with_defaults(Some(prices), None)), Err(InferError::BadPriceTable));
    prices.providers[2].usd_per_gb_s = 1e-6;
    prices.providers[0].billing_increment_ms = 0.0;
    assert_eq!(load(&with_defaults(Some(prices), None)), Err(InferError::BadPriceTable));
    let mut carbon = hdrl_infer::fixtures::fixture_carbon_profile();
    carbon.by_hour[1][3][23] = f32::INFINITY;
    assert_eq!(load(&with_defaults(None, Some(carbon))), Err(InferError::BadCarbonProfile));
    carbon.by_hour[1][3][23] = 2_500.0;
    assert_eq!(load(&with_defaults(None, Some(carbon))), Err(InferError::BadCarbonProfile));

    let int8 = seeded_bundle(25, Quant::I8);
    assert_eq!(
        load(&int8),
        Err(InferError::WrongQuant { kind: ModelKind::Dqn, expected: Quant::F32, found: Quant::I8 })
    );
    assert!(Hierarchy::<I8>::load(&int8).is_ok());
}

#[test]
fn the_price_table_and_carbon_profile_round_trip_and_are_optional() {
    let bytes = seeded_bundle(26, Quant::I8);
    let b = Bundle::parse(&bytes).unwrap();
    assert_eq!(b.prices, Some(hdrl_infer::fixtures::FIXTURE_PRICES));
    assert_eq!(b.carbon_profile, Some(hdrl_infer::fixtures::fixture_carbon_profile()));
    let h = Hierarchy::<I8>::load(&bytes).unwrap();
    assert_eq!(h.prices, b.prices);
    let noon = 86_400.0 * 19_000.0 + 12.5 * 3600.0;
    assert_eq!(h.default_carbon(noon), b.carbon_profile.unwrap().observation(noon));
    assert!(h.default_carbon(noon).now[2][1] > 0.0);
    // Written back by the hierarchy, both survive.
    let again = h.bundle_bytes(&ModelKind::ALL, Provenance::default()).unwrap();
    let b2 = Bundle::parse(&again).unwrap();
    assert_eq!((b2.prices, b2.carbon_profile), (b.prices, b.carbon_profile));
    // Without them: no prices, zero carbon.
    let bare = Bundle { prices: None, carbon_profile: None, ..b }.to_bytes().unwrap();
    let h = Hierarchy::<I8>::load(&bare).unwrap();
    assert_eq!((h.prices, h.carbon_profile), (None, None));
    assert_eq!(h.default_carbon(noon), hdrl_infer::CarbonObs::default());
}

#[test]
fn a_failed_load_leaves_nothing_usable() {
    let mut h = Hierarchy::<F32>::load(&seeded_bundle(27, Quant::F32)).unwrap();
    assert!(h.has(ModelKind::Lstm));
    let mut bad = seeded_bundle(27, Quant::F32);
    let n = bad.len();
    bad[n - 3] ^= 1;
    assert!(h.load_into(&bad).is_err());
    for k in ModelKind::ALL {
        assert!(!h.has(k));
    }
    assert!(h.decide(&mut Window::new(), &obs(0)).is_err());
}

#[test]
fn every_single_byte_corruption_is_caught() {
    // Flip each byte of a small bundle (DQN only, int8): the load must fail, never panic.
    let f = f32_models(28);
    let q = quantize(&f);
    let p = q.dqn.payload();
    let mut models = heapless::Vec::new();
    models.push(hdrl_infer::Dqn::<I8>::record(&p)).unwrap();
    let good = Bundle {
        provenance: Provenance::default(),
        encoder: EncoderConfig::DEFAULT,
        reward_bounds: hdrl_infer::RewardBounds::DEFAULT,
        prices: None,
        carbon_profile: None,
        models,
    }
    .to_bytes()
    .unwrap();
    let mut h = Box::new(Hierarchy::<I8>::empty(Kernels::generic()));
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x5A;
        assert!(h.load_into(&bad).is_err(), "byte {i} flipped went unnoticed");
    }
    h.load_into(&good).unwrap();
}

#[test]
fn loading_works_on_a_thread_with_a_small_stack() {
    // The f32 hierarchy is ≈ 0.8 MB: `load` builds it on the heap, never on the stack.
    let f = seeded_bundle(29, Quant::F32);
    let q = seeded_bundle(29, Quant::I8);
    let t = std::thread::Builder::new()
        .stack_size(128 * 1024)
        .spawn(move || {
            let h = Hierarchy::<F32>::load(&f).unwrap();
            let h8 = Hierarchy::<I8>::load(&q).unwrap();
            let mut w = Window::new();
            (h.decide(&mut w, &obs(3)).is_ok(), h8.decide(&mut w, &obs(4)).is_ok())
        })
        .unwrap();
    assert_eq!(t.join().unwrap(), (true, true));
}
