// Drives relman through openapi-fetch with the types openapi-typescript generated from
// openapi/relman.json. Usage: node dist/smoke.js BASE_URL TOKEN (scripts/sdk-ts/run sets these up).
//
// The client is typed for `application/json` alone, as many generated clients are, and says so
// in `Accept`: relman then sends its problem bodies as `application/json`, and their type is the
// document's `Problem` all the same.
import createClient from "openapi-fetch";

import type { components, paths } from "./generated/relman.js";

type Problem = components["schemas"]["Problem"];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const [baseUrl, token] = process.argv.slice(2);
if (baseUrl === undefined || token === undefined) {
  throw new Error("usage: smoke.js BASE_URL TOKEN");
}

const client = createClient<paths, "application/json">({
  baseUrl,
  headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
});

function check(label: string, response: Response, status: number): void {
  if (response.status !== status) {
    throw new Error(`${label}: expected ${status}, got ${response.status}`);
  }
  console.log(`${label}: ${response.status} ${response.headers.get("content-type") ?? ""}`);
}

const created = await client.POST("/api/v1/components", {
  body: { name: "web", imageRepository: "myorg/web", displayName: "Web" },
});
check("create component", created.response, 201);
if (created.data === undefined) throw new Error("create component: no body");
const id: string = created.data.id;
if (created.data.name !== "web") throw new Error(`create component: name ${created.data.name}`);

const listed = await client.GET("/api/v1/components");
check("list components", listed.response, 200);
const names: string[] = (listed.data ?? []).map((c) => c.name);
if (!names.includes("web")) throw new Error(`list components: ${names.join(", ")}`);

const fetched = await client.GET("/api/v1/components/{id}", { params: { path: { id } } });
check("get component", fetched.response, 200);
if (fetched.data?.imageRepository !== "myorg/web") {
  throw new Error(`get component: ${JSON.stringify(fetched.data)}`);
}

const missing = await client.GET("/api/v1/components/{id}", {
  params: { path: { id: "no-such-component" } },
});
check("get unknown component", missing.response, 404);
// `error` is typed from the 404 response's `application/json` content: the `Problem` schema, and
// nothing looser (this line fails to compile if it were `never`, `unknown` or a union).
const exactlyProblem: Same<NonNullable<typeof missing.error>, Problem> = true;
const problem: Problem | undefined = missing.error;
if (!exactlyProblem || problem?.code !== "not_found") throw new Error(`get unknown component: ${JSON.stringify(problem)}`);
if (missing.response.headers.get("content-type") !== "application/json") {
  throw new Error("get unknown component: the problem body was not negotiated to application/json");
}

console.log("sdk-ts: ok");
