/**
 * Synthesizes the Bookinfo chart to `dist/` (or `$CDK8S_OUTDIR`): `npm run synth` here, or
 * `npx cdk8s synth` where cdk8s-cli is installed (cdk8s.yaml runs this file with tsx).
 * `CANARY_STEP=2 npm run synth` renders another step of the reviews canary; 0 rolls back.
 */
import { App } from "cdk8s";
import { BookinfoChart } from "./bookinfo-chart";

const app = new App();
const step = process.env.CANARY_STEP;
new BookinfoChart(app, "bookinfo", step !== undefined ? { canaryStep: Number(step) } : {});
app.synth();
