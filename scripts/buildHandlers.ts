/**
 * Bundles each Lambda entry on its own (esbuild: ESM, minified, source maps, Node 20, tree-shaken), so
 * a handler loads only the modules it uses. Output: dist/<name>/index.mjs. The CDK stack bundles the
 * same entries through NodejsFunction; this script is for inspecting sizes and for the benchmark.
 */
import { build, type Metafile } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export const lambdaEntries = {
  stream: 'controller/handlers/streamLambda.ts',
  schedule: 'controller/handlers/scheduleLambda.ts',
  alarm: 'controller/handlers/alarmLambda.ts',
} as const;

export interface BundleReport {
  readonly name: string;
  readonly outfile: string;
  readonly bytes: number;
}

export async function buildHandlers(outdir = `${root}dist`): Promise<BundleReport[]> {
  const reports: BundleReport[] = [];
  for (const [name, entry] of Object.entries(lambdaEntries)) {
    const outfile = `${outdir}/${name}/index.mjs`;
    const result = await build({
      entryPoints: [`${root}${entry}`],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      // As the CDK stack bundles (infra/constructs/controllerFunction.ts): the packages' ES modules, which
      // esbuild can tree-shake (platform node would otherwise take their CommonJS `main`), and source maps
      // with mappings only.
      mainFields: ['module', 'main'],
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      metafile: true,
      legalComments: 'none',
      // Some dependencies still call require(); give the ESM bundle one.
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
      logLevel: 'warning',
    });
    const meta: Metafile = result.metafile;
    const output =
      meta.outputs[outfile.replace(root, '')] ?? Object.values(meta.outputs).find((o) => o.entryPoint);
    reports.push({ name, outfile, bytes: output?.bytes ?? 0 });
  }
  return reports;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const report of await buildHandlers()) {
    console.log(
      `${report.name}: ${report.outfile.replace(root, '')} ${(report.bytes / 1024).toFixed(0)} KiB`,
    );
  }
}
