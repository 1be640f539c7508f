import { startOperatorSignIn } from "../../shared/pages/browser/operator-sign-in.ts";
import { startPage } from "../../shared/pages/browser/page-kit.ts";

startOperatorSignIn(startPage<null>());
