import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { collectivityName } from "../components/CollectivityPicker";
import { Async, Badge, PageHeader, toneOf } from "../components/ui";
import { useCollectivities, useNeeds } from "../hooks";
import { useI18n } from "../i18n";
import { Link, withQuery } from "../router";
import { useTitle } from "./common";
import { ProposalCard } from "./ProposalCard";

/** One proposal, where the e-mails about it lead: its sides, need, reasons, history, and the moves the reader may make
 * (coordinators: every allowed one; members of either side: accept or decline). */
export default function MatchPage({ params }: { params: Record<string, string> }) {
  const id = params.id;
  const { t, tv, lang } = useI18n();
  const state = useQuery({
    queryKey: ["matches", "MatchPage.state", id],
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/matches/{match_id}", { params: { path: { match_id: id } }, signal })),
  });
  const m = state.data;
  const names = useCollectivities(m ? [m.lebanese_collectivity_id, ...m.french_collectivity_ids] : []);
  const needs = useNeeds(m ? [m.need_id] : []);
  const title = m
    ? t("match.pageTitle", {
        lebanese: collectivityName(names[m.lebanese_collectivity_id], lang),
        french: m.french_collectivity_ids.map((f) => collectivityName(names[f], lang)).join(" + "),
      })
    : t("nav.matching");
  useTitle(title);
  return (
    <>
      <nav aria-label={t("nav.breadcrumb")} className="breadcrumb">
        <Link to="/matching">{t("nav.matching")}</Link>
      </nav>
      <PageHeader title={title}>
        {m && (
          <p>
            <Badge tone={toneOf(m.status)}>{tv("matchStatus", m.status)}</Badge>{" "}
            <Link to={withQuery("/matching", { need_id: m.need_id })}>{t("match.sameNeed")}</Link>
          </p>
        )}
      </PageHeader>
      <Async state={state}>
        {(match) => (
          <ProposalCard m={match} names={names} needTitle={needs[match.need_id]?.title} onChanged={() => void state.refetch()} expanded />
        )}
      </Async>
    </>
  );
}
