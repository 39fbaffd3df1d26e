// Every Admin GraphQL document the app may send, keyed by its exact text, with
// its variables and result types. Empty here: app/types/admin.generated.d.ts
// (written by `npm run graphql:codegen`, see .graphqlrc.ts) fills both maps by
// module augmentation. Unlike @shopify/admin-api-client's maps these have no
// catch-all string key, so a document the generated types don't know (an
// edited one that was not regenerated, or a made-up one) is a type error.

/* eslint-disable @typescript-eslint/no-empty-object-type -- filled by declaration merging */
export interface AdminQueries {}
export interface AdminMutations {}
/* eslint-enable @typescript-eslint/no-empty-object-type */

export type AdminOperations = AdminQueries & AdminMutations;
/** The text of a generated document. */
export type AdminDocument = keyof AdminOperations & string;
export type AdminVariables<D extends AdminDocument> = AdminOperations[D]["variables"];
export type AdminData<D extends AdminDocument> = AdminOperations[D]["return"];
