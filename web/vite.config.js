import { defineConfig } from 'vite';

// `npm run dev` proxies the API and tiles to a running `gridatlas serve` (default 127.0.0.1:8080).
const server = process.env.GRIDATLAS_URL || 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: {
      '/api': server,
      '/ogc': server,
      '/tiles': server,
      '/health': server,
      '/audit': server,
    },
  },
});
