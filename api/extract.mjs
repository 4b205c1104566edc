// The API report: one `api/<entry>.api.md` per entry point of package.json's `exports`, made by
// API Extractor from the built declarations (dist/). `npm run api` writes them; `npm run
// api:check` (CI) fails when a report differs from what is checked in, so every change to the
// public surface shows up in review as a diff of these files. Expects a built dist/.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');
const packageJsonFullPath = `${root}package.json`;
const { exports } = JSON.parse(readFileSync(packageJsonFullPath, 'utf8'));
mkdirSync(`${root}.tmp/api`, { recursive: true });

let stale = 0;
for (const [subpath, target] of Object.entries(exports)) {
  if (typeof target !== 'object' || target.types === undefined) continue;
  const name = subpath === '.' ? 'index' : subpath.slice(2);
  const configObject = {
    projectFolder: root,
    mainEntryPointFilePath: `${root}${target.types.slice(2)}`,
    compiler: { tsconfigFilePath: `${root}tsconfig.build.json` },
    apiReport: { enabled: true, reportFolder: `${root}api/`, reportTempFolder: `${root}.tmp/api/`, reportFileName: name },
    docModel: { enabled: false },
    dtsRollup: { enabled: false },
    tsdocMetadata: { enabled: false },
    messages: {
      compilerMessageReporting: { default: { logLevel: 'warning' } },
      extractorMessageReporting: {
        default: { logLevel: 'warning' },
        // No release tags (@public, @beta): every export of an entry is public.
        'ae-missing-release-tag': { logLevel: 'none' },
        // Links and docs are typedoc's to check (npm run docs), which resolves them.
        'ae-unresolved-link': { logLevel: 'none' },
        'ae-undocumented': { logLevel: 'none' },
        // A type used by an export but not exported itself is listed in the report, not an error.
        'ae-forgotten-export': { logLevel: 'none', addToApiReportFile: true },
      },
      tsdocMessageReporting: { default: { logLevel: 'none' } },
    },
  };
  const config = ExtractorConfig.prepare({ configObject, configObjectFullPath: `${root}api/extract.mjs`, packageJsonFullPath });
  const report = `api/${name}.api.md`;
  const result = Extractor.invoke(config, { localBuild: !check, showVerboseMessages: false, messageCallback: (message) => {
    // Its "you have a newer TypeScript" notice says nothing about the surface.
    if (message.messageId === 'console-compiler-version-notice') message.handled = true;
  } });
  if (check && (result.apiReportChanged || !existsSync(`${root}${report}`))) {
    stale += 1;
    console.error(`${report} is out of date: the public surface of '${subpath === '.' ? 'surefetch' : `surefetch/${name}`}' changed. Run npm run api and commit the report.`);
  } else if (!result.succeeded) {
    stale += 1;
    console.error(`${report}: API Extractor failed (${result.errorCount} errors)`);
  }
}
if (stale > 0) process.exitCode = 1;
else console.log(check ? 'api: every report is up to date' : 'api: reports written to api/');
