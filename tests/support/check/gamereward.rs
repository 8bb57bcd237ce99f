//! gamereward: missions achieved by many customers, racing exchanges of one
//! wallet entry (the gift is a synchronous call, faulted by `calls=`), and
//! gifts used twice at once.
//!
//! Gift issues one gift per wallet entry (its id is derived from the
//! entry's), so two exchanges sent at once may both answer 200 with that
//! one gift; an exchange sent after one answered gets 409. An exchange
//! answered 503 may still have issued the gift (the answer lost on the way
//! back): the entry then follows gift's `GiftIssued` and shows Exchanged.

use std::collections::{HashMap, HashSet};

use serde_json::json;

use super::{Driver, Log, all_pages, pick, twins};
use crate::Client;

pub struct GameReward;

impl GameReward {}

impl Driver for GameReward {
    fn system(&self) -> &'static str {
        "gamereward"
    }

    fn setup(&self, _client: &Client, _log: &Log) {}

    fn step(&self, client: &Client, customer: &str, c: usize, n: usize, log: &Log) {
        let choice = pick(c, n, 10);
        if choice < 4 {
            let issued: Vec<String> = all_pages(client, "/wallets", customer)
                .iter()
                .filter(|w| w["status"] == "Issued")
                .filter_map(|w| w["walletId"].as_str().map(str::to_owned))
                .collect();
            if let Some(wallet) = issued.get(pick(c, n, issued.len())) {
                let body = json!({"giftName": format!("Gift {c}-{n}")}).to_string();
                let path = format!("/wallets/{wallet}/exchange");
                let (a, b) = twins(client, log, "POST /wallets/{id}/exchange", &path, customer, &body);
                // Twins may both answer 200, with the one gift gift
                // issued for this entry; never two gifts.
                if a.status == 200 && b.status == 200 && a.body["giftId"] != b.body["giftId"] {
                    log.violation(format!("wallet entry {wallet}: two exchanges, two gifts: {} / {}", a.body, b.body));
                }
                if let Some(reply) = [&a, &b].into_iter().find(|r| r.status == 200) {
                    let gift = reply.body["giftId"].as_str().unwrap_or_default();
                    log.made("exchange", &format!("{wallet} {gift}"), customer);
                } else if [&a, &b].iter().any(|r| r.status == 503) {
                    // Gift may have issued it and the answer been lost: the
                    // entry then follows gift's `GiftIssued`.
                    log.made("exchange-unanswered", wallet, customer);
                }
                return;
            }
        }
        if choice == 4 {
            let gifts: Vec<String> = log
                .made_of("exchange")
                .into_iter()
                .filter(|(_, o)| o == customer)
                .filter_map(|(e, _)| Some(e.split_once(' ')?.1.to_owned()))
                .collect();
            if let Some(gift) = gifts.get(pick(c, n, gifts.len())) {
                let (a, b) = twins(client, log, "POST /gifts/{id}/use", &format!("/gifts/{gift}/use"), customer, "");
                if a.status == 200 && b.status == 200 {
                    log.violation(format!("gift {gift}: used twice at once, both answered 200"));
                }
                if a.status == 200 || b.status == 200 {
                    log.made("used", gift, customer);
                }
                return;
            }
        }
        let reply = client.post_json("/missions", Some(customer), &json!({"name": format!("Mission {c}-{n}")}));
        log.answered("POST /missions", &reply);
        if let Some(id) = reply.body["missionId"].as_str().filter(|_| reply.status == 201) {
            log.made("mission", id, customer);
        }
    }

    fn settled(&self, client: &Client, log: &Log) -> bool {
        log.owners("mission").iter().all(|owner| {
            all_pages(client, "/mypage", owner).iter().all(|r| {
                !r["rewardId"].is_null()
                    && !r["walletId"].is_null()
                    && (r["walletStatus"] == "Exchanged") == (r["rewardStatus"] == "Exchanged")
                    && r["giftId"].is_null() == r["giftStatus"].is_null()
            })
        })
    }

    fn check(&self, client: &Client, log: &Log) -> Vec<String> {
        let mut violations = Vec::new();
        let missions: HashMap<String, String> = log.made_of("mission").into_iter().collect();
        let exchanged: HashMap<String, String> = log
            .made_of("exchange")
            .into_iter()
            .filter_map(|(e, _)| e.split_once(' ').map(|(w, g)| (w.to_owned(), g.to_owned())))
            .collect();
        let used: HashSet<String> = log.made_of("used").into_iter().map(|(g, _)| g).collect();
        let unanswered: HashSet<String> = log.made_of("exchange-unanswered").into_iter().map(|(w, _)| w).collect();
        for owner in log.owners("mission") {
            let rows = all_pages(client, "/mypage", &owner);
            let wallets = all_pages(client, "/wallets", &owner);
            let mut per_mission: HashMap<&str, usize> = HashMap::new();
            for row in &rows {
                *per_mission.entry(row["missionId"].as_str().unwrap_or_default()).or_default() += 1;
            }
            let mine: Vec<&String> = missions.iter().filter(|(_, o)| **o == owner).map(|(m, _)| m).collect();
            for mission in &mine {
                match per_mission.get(mission.as_str()) {
                    Some(1) => {}
                    n => violations.push(format!("mission {mission}: {} MyPage rows", n.copied().unwrap_or(0))),
                }
                let reward = client.get(&format!("/missions/{mission}"), Some(&owner)).body["rewardId"].clone();
                if reward.is_null() {
                    violations.push(format!("mission {mission} has no reward"));
                }
            }
            // One reward per mission, one wallet entry per reward.
            let mut per_reward: HashMap<&str, usize> = HashMap::new();
            for wallet in &wallets {
                *per_reward.entry(wallet["rewardId"].as_str().unwrap_or_default()).or_default() += 1;
            }
            for (reward, count) in per_reward.iter().filter(|(_, n)| **n > 1) {
                violations.push(format!("reward {reward}: {count} wallet entries"));
            }
            if wallets.len() != mine.len() {
                violations.push(format!("{} missions but {} wallet entries", mine.len(), wallets.len()));
            }
            for wallet in &wallets {
                let id = wallet["walletId"].as_str().unwrap_or_default();
                let status = wallet["status"].as_str().unwrap_or_default();
                let reward = client
                    .get(&format!("/rewards/{}", wallet["rewardId"].as_str().unwrap_or_default()), Some(&owner))
                    .body;
                let expected_reward = if status == "Exchanged" { "Exchanged" } else { "Allocated" };
                if reward["status"] != expected_reward {
                    violations.push(format!("wallet entry {id} is {status}, its reward {}", reward["status"]));
                }
                let row = rows.iter().find(|r| r["walletId"] == id);
                match (exchanged.get(id), status) {
                    (Some(gift), "Exchanged") => {
                        let shown = row.map(|r| r["giftId"].clone()).unwrap_or_default();
                        if shown != gift.as_str() {
                            violations
                                .push(format!("wallet entry {id} exchanged for gift {gift}, MyPage shows {shown}"));
                        }
                        let gift_status = client.get(&format!("/gifts/{gift}"), Some(&owner)).body["status"].clone();
                        let expected = if used.contains(gift) { "Used" } else { "Issued" };
                        if gift_status != expected {
                            violations.push(format!("gift {gift} is {gift_status}, expected {expected}"));
                        }
                    }
                    (None, "Issued") => {}
                    // Exchanged by gift's event after an answer was lost.
                    (None, "Exchanged") if unanswered.contains(id) => {}
                    (answered, status) => violations.push(format!(
                        "wallet entry {id} is {status}, but an exchange answered 200: {}",
                        answered.is_some()
                    )),
                }
            }
        }
        violations
    }
}
