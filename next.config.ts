import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // pino and postgres.js are plain Node libraries; bundling them gains nothing.
  serverExternalPackages: ["pino", "postgres"],
  poweredByHeader: false,
};

export default nextConfig;
