// The web UI's build: one bundle into the Python package (src/kustodian/server/static), so the
// wheel carries the assets and installing it needs no Node. See docs/ui.md.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  // Bridge.NET (inside the kusto worker) reads `global` when it sees CommonJS `module`
  define: { global: 'globalThis' },
  build: {
    outDir: '../src/kustodian/server/static',
    emptyOutDir: true,
    chunkSizeWarningLimit: 10000,
    reportCompressedSize: false,
  },
  optimizeDeps: {
    include: [
      'xregexp',
      'vscode-languageserver-types',
      '@kusto/language-service/bridge.min',
      '@kusto/language-service/Kusto.JavaScript.Client.min',
      '@kusto/language-service/newtonsoft.json.min',
      '@kusto/language-service-next/Kusto.Language.Bridge.min',
    ],
  },
  server: { proxy: { '/v1': 'http://127.0.0.1:8080', '/manage': 'http://127.0.0.1:8080', '/ui': 'http://127.0.0.1:8080' } },
});
