import uWS from 'uWebSockets.js';

/** SPEC §1: never run on uWS's `ws` fallback; exit with a clear error if the native binary is missing. */
export function assertNativeUws(): void {
  const fallbackFlag = /^(true|1)$/i.test(process.env.UWS_USE_FALLBACK ?? '');
  if (fallbackFlag || typeof (uWS as { SSLApp?: unknown }).SSLApp !== 'function' || typeof uWS.us_listen_socket_close !== 'function') {
    throw new Error(
      'uWebSockets.js native binary is not loaded (UWS_USE_FALLBACK is set, or no binary for this platform/Node ABI). ' +
        'Sluice needs the native build: use Node.js 20 on linux-x64/arm64 or darwin, and unset UWS_USE_FALLBACK.',
    );
  }
}
