/**
 * Who gets in (README "Who gets in: who"): a service's access lists as sets
 * over the policy's named lists, and the mail relay's rules, per host.
 * pam_listfile lines are all `required`, so a request passes the lists when
 * it is in every allow list of its item and in no deny list: that is the
 * set printed per item (apply= restricts a list to some users, onerr says
 * what a missing list does; both are named).
 */
import type { AclModel, Model } from "../check/model.js";
import { addressCount } from "./diff.js";
import type { HostView } from "./index.js";
import { aclTerms } from "./origin.js";

export interface WhoList {
  sense: "allow" | "deny";
  file: string;
  /** The named lists the entries setting names, and its literals. */
  lists: string[];
  literals: string[];
  count: number;
  onerr: "fail" | "succeed";
  apply: string | null;
}

export interface WhoService {
  host: string | null;
  service: string;
  pamService: string;
  /** Per item, in the order of the first list of that item. */
  items: { item: AclModel["item"]; lists: WhoList[]; summary: string }[];
}

export interface WhoMail {
  host: string | null;
  localDomains: string[];
  relayDomains: string[];
  relayNetworks: string[];
  relayAddresses: number;
  trustedMechanisms: string[];
}

const NOUN: Record<AclModel["item"], string> = {
  user: "users",
  ruser: "remote users",
  group: "members of groups",
  rhost: "remote hosts",
  tty: "terminals",
  shell: "login shells",
};

function term(l: WhoList): string {
  const parts = [...l.lists.map((n) => `$${n}`), ...l.literals];
  return parts.length === 1 ? parts[0]! : `(${parts.join(" + ")})`;
}

/** The access of every service of a host, or of the one named. */
export function whoServices(view: HostView, only?: string): WhoService[] {
  const terms = aclTerms(view.items);
  const model: Model = view.model;
  return model.services
    .filter((s) => only === undefined || s.name === only || s.pamService === only)
    .map((s) => {
      const byItem = new Map<AclModel["item"], WhoList[]>();
      for (const a of s.acls) {
        const t = terms(a);
        const l: WhoList = {
          sense: a.sense,
          file: a.file,
          lists: t.lists,
          literals: t.literals,
          count: a.entries.length,
          onerr: a.onerr,
          apply: a.apply,
        };
        byItem.set(a.item, [...(byItem.get(a.item) ?? []), l]);
      }
      const items = [...byItem].map(([item, lists]) => {
        const allow = lists.filter((l) => l.sense === "allow");
        const deny = lists.filter((l) => l.sense === "deny");
        const inAll = allow.length ? allow.map(term).join(" and ") : `any ${NOUN[item].replace(/^members of groups$/, "group")}`;
        const summary = `${NOUN[item]}: ${allow.length ? `only ${inAll}` : "anyone"}${deny.length ? `, but not ${deny.map(term).join(" or ")}` : ""}`;
        return { item, lists, summary };
      });
      return { host: view.host, service: s.name, pamService: s.pamService, items };
    });
}

/** The mail relay's rules of a host, or null without a mail block. */
export function whoMail(view: HostView): WhoMail | null {
  const m = view.model.mail;
  if (!m) return null;
  const nets = [...new Set(m.relayNetworks.map((n) => n.network))];
  return {
    host: view.host,
    localDomains: m.localDomains.map((d) => d.value),
    relayDomains: m.relayDomains.map((d) => d.value),
    relayNetworks: nets,
    relayAddresses: addressCount(nets),
    trustedMechanisms: m.trusted.map((t) => t.value),
  };
}
