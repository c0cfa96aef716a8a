internal import GRDB

/// The schema, as GRDB migrations applied in order. A shipped migration is never edited: a change
/// is a new one appended here, so every database upgrades the same way.
enum Schema {
    /// `PRAGMA application_id` of every knowledge base ("LLMA"), so a foreign SQLite file is
    /// recognised and left alone.
    static let applicationID: Int32 = 0x4C4C_4D41

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
            try db.execute(sql: v1)
        }
        // The holdout is opened at most once per hypothesis: the claim is committed before any
        // holdout bar is evaluated, so two promotions cannot both see it, and a crash after the
        // claim still counts as an opening.
        migrator.registerMigration("v2-holdout-lock") { db in
            try db.execute(sql: v2HoldoutLock)
        }
        // The research agent's runs, one row each, and what every iteration of a run did: the
        // proposer's view of it (in-sample numbers only) next to the verdict the user sees. A
        // run resumes from its steps; `agent status` and `agent analyze` read both tables.
        // `fingerprint` on a hypothesis is its factor's structure up to parameter values, so a
        // proposal already tried under other numbers is not evaluated again.
        migrator.registerMigration("v3-research") { db in
            try db.execute(sql: v3Research)
        }
        // Language models in the loop: each call names the run it served (so a run's spend and
        // budget are one query), and a reply is kept by its request's hash so the same question
        // (a resumed run, a rerun with the same seed) is not paid for twice.
        migrator.registerMigration("v4-llm-replies") { db in
            try db.execute(sql: v4LLMReplies)
        }
        // Many workers on one run (DESIGN.md section 11): a run's iterations become work items that
        // workers claim, heartbeat and finish, a claim gone quiet past the grace period is taken
        // over; each worker has a row for `agent status`. Scripts are kept in the database too, so a
        // worker on another machine can rerun any of them. Times are epoch seconds of the
        // database's clock, so workers on machines with skewed clocks agree on what is stale.
        migrator.registerMigration("v5-workers") { db in
            try db.execute(sql: v5Workers)
        }
        return migrator
    }

    // The steps' scripts, as SQLite runs them; PostgresSchema translates the same text.

    static let v1 = """
        CREATE TABLE hypothesis (
            number INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            slug TEXT NOT NULL,
            rationale TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT '',
            parent TEXT REFERENCES hypothesis(id),
            family TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('proposed','running','validated','rejected','abandoned')),
            origin TEXT NOT NULL,
            script_path TEXT NOT NULL,
            script_sha256 TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX hypothesis_status ON hypothesis(status);
        CREATE INDEX hypothesis_family ON hypothesis(family);
        CREATE INDEX hypothesis_script ON hypothesis(script_sha256);

        CREATE TABLE hypothesis_tag (
            hypothesis TEXT NOT NULL REFERENCES hypothesis(id) ON DELETE CASCADE,
            tag TEXT NOT NULL,
            PRIMARY KEY (hypothesis, tag)
        ) WITHOUT ROWID;
        CREATE INDEX hypothesis_tag_tag ON hypothesis_tag(tag);

        CREATE TABLE trial (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            hypothesis TEXT NOT NULL REFERENCES hypothesis(id),
            family TEXT NOT NULL,
            params TEXT NOT NULL,
            symbols TEXT NOT NULL,
            interval TEXT NOT NULL,
            data_from INTEGER NOT NULL,
            data_to INTEGER NOT NULL,
            bars INTEGER NOT NULL,
            data_hash TEXT NOT NULL,
            stage TEXT NOT NULL,
            stage_rank INTEGER NOT NULL,
            passed INTEGER CHECK (passed IN (0, 1)),
            reason_code TEXT,
            reason_message TEXT,
            metrics TEXT NOT NULL,
            sharpe REAL,
            shortfall REAL,
            seed INTEGER,
            duration_s REAL NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            source TEXT NOT NULL
        );
        CREATE INDEX trial_hypothesis ON trial(hypothesis);
        CREATE INDEX trial_family ON trial(family);
        CREATE INDEX trial_reason ON trial(passed, reason_code);
        CREATE INDEX trial_near_miss ON trial(passed, stage_rank DESC, shortfall);
        CREATE INDEX trial_sharpe ON trial(sharpe);

        CREATE TABLE strategy (
            number INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            hypothesis TEXT NOT NULL REFERENCES hypothesis(id),
            name TEXT NOT NULL,
            file_path TEXT NOT NULL,
            file_sha256 TEXT NOT NULL,
            validation TEXT NOT NULL,
            data_hash TEXT NOT NULL,
            lifetime_trials INTEGER NOT NULL,
            holdout TEXT,
            created_at TEXT NOT NULL
        );

        CREATE TABLE holdout_opening (
            id INTEGER PRIMARY KEY,
            strategy TEXT NOT NULL REFERENCES strategy(id),
            opened_at TEXT NOT NULL,
            data TEXT NOT NULL,
            metrics TEXT NOT NULL,
            passed INTEGER NOT NULL CHECK (passed IN (0, 1)),
            note TEXT
        );
        CREATE INDEX holdout_opening_strategy ON holdout_opening(strategy);

        CREATE TABLE llm_call (
            id INTEGER PRIMARY KEY,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            purpose TEXT NOT NULL,
            hypothesis TEXT REFERENCES hypothesis(id),
            prompt_tokens INTEGER NOT NULL,
            completion_tokens INTEGER NOT NULL,
            latency_s REAL NOT NULL,
            cost_usd REAL,
            request_hash TEXT NOT NULL,
            status TEXT NOT NULL,
            error TEXT,
            created_at TEXT NOT NULL
        );

        -- Full-text search: hypotheses keep their own small index (tags live in another
        -- table). Failure messages index the trial rows in place (external content), in
        -- batches: an FTS5 insert per committed trial costs more than the trial itself,
        -- so trials past `indexed_through` are indexed together once enough accumulate,
        -- and searches cover that short tail on their own.
        CREATE VIRTUAL TABLE hypothesis_fts USING fts5(
            name, rationale, tags, tokenize = 'porter unicode61 remove_diacritics 2');
        CREATE VIRTUAL TABLE trial_fts USING fts5(
            reason_code, reason_message, content = 'trial', content_rowid = 'id',
            tokenize = 'porter unicode61 remove_diacritics 2');
        CREATE TABLE search_progress (name TEXT PRIMARY KEY, indexed_through INTEGER NOT NULL);

        -- A script file about to be written, committed before the file: a crash between the
        -- file and its row leaves this reservation, so `kb check` can tell this knowledge
        -- base's interrupted recordings (finished from `record`) from foreign files.
        CREATE TABLE pending_script (
            kind TEXT NOT NULL CHECK (kind IN ('hypothesis', 'strategy')),
            number INTEGER NOT NULL,
            path TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            record TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (kind, number)
        );
        CREATE INDEX trial_finished ON trial(finished_at);
        INSERT INTO search_progress VALUES ('trial_fts', 0);
        """

    static let v2HoldoutLock = """
        CREATE TABLE holdout_lock (
            hypothesis TEXT PRIMARY KEY REFERENCES hypothesis(id),
            trial INTEGER,
            opened_at TEXT NOT NULL,
            strategy TEXT,
            note TEXT
        );
        INSERT INTO holdout_lock (hypothesis, trial, opened_at, strategy)
            SELECT s.hypothesis, NULL, min(o.opened_at), min(s.id)
            FROM strategy s JOIN holdout_opening o ON o.strategy = s.id GROUP BY s.hypothesis;
        """

    static let v3Research = """
        CREATE TABLE research_run (
            number INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            uid TEXT NOT NULL UNIQUE,
            state TEXT NOT NULL CHECK (state IN ('running','interrupted','finished','failed')),
            provider TEXT NOT NULL,
            model TEXT,
            seed INTEGER NOT NULL,
            settings TEXT NOT NULL,
            max_iterations INTEGER NOT NULL,
            iteration INTEGER NOT NULL DEFAULT 0,
            stage TEXT,
            current TEXT,
            hypotheses INTEGER NOT NULL DEFAULT 0,
            trials INTEGER NOT NULL DEFAULT 0,
            validated INTEGER NOT NULL DEFAULT 0,
            duplicates INTEGER NOT NULL DEFAULT 0,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            best_hypothesis TEXT,
            best_test_sharpe REAL,
            elapsed_s REAL NOT NULL DEFAULT 0,
            spend_usd REAL NOT NULL DEFAULT 0,
            stop_reason TEXT,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            started_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            finished_at TEXT
        );
        CREATE TABLE research_step (
            run TEXT NOT NULL REFERENCES research_run(id),
            iteration INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('running','evaluated','duplicate','invalid','error')),
            action TEXT NOT NULL CHECK (action IN ('new','refine')),
            hypothesis TEXT REFERENCES hypothesis(id),
            script_sha256 TEXT,
            script TEXT,
            parent TEXT,
            family TEXT,
            category TEXT,
            template TEXT,
            fingerprint TEXT,
            stage TEXT,
            passed INTEGER CHECK (passed IN (0, 1)),
            reason_code TEXT,
            feedback TEXT NOT NULL DEFAULT '',
            metrics TEXT NOT NULL DEFAULT '{}',
            score REAL,
            test_sharpe REAL,
            trials INTEGER NOT NULL DEFAULT 0,
            strategy TEXT,
            duration_s REAL NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (run, iteration, attempt)
        );
        CREATE INDEX research_step_hypothesis ON research_step(hypothesis);
        CREATE INDEX research_step_running ON research_step(script_sha256) WHERE outcome = 'running';
        ALTER TABLE hypothesis ADD COLUMN fingerprint TEXT;
        CREATE INDEX hypothesis_fingerprint ON hypothesis(fingerprint);
        """

    static let v4LLMReplies = """
        ALTER TABLE llm_call ADD COLUMN run TEXT;
        CREATE INDEX llm_call_run ON llm_call(run);
        CREATE TABLE llm_reply (
            request_hash TEXT PRIMARY KEY,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            text TEXT NOT NULL,
            reasoning TEXT NOT NULL DEFAULT '',
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            finish_reason TEXT,
            created_at TEXT NOT NULL
        );
        """

    static let v5Workers = """
        CREATE TABLE work_item (
            run TEXT NOT NULL REFERENCES research_run(id),
            iteration INTEGER NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending','claimed','done','cancelled')),
            worker TEXT,
            claims INTEGER NOT NULL DEFAULT 0,
            takeovers INTEGER NOT NULL DEFAULT 0,
            claimed_at REAL,
            heartbeat_at REAL,
            finished_at REAL,
            PRIMARY KEY (run, iteration)
        );
        CREATE INDEX work_item_open ON work_item(run, state, iteration);
        CREATE TABLE research_worker (
            id TEXT PRIMARY KEY,
            run TEXT NOT NULL REFERENCES research_run(id),
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('working','finished','stopped','failed')),
            iteration INTEGER,
            items_done INTEGER NOT NULL DEFAULT 0,
            started_at REAL NOT NULL,
            heartbeat_at REAL NOT NULL,
            stopped_at REAL,
            note TEXT
        );
        CREATE INDEX research_worker_run ON research_worker(run);
        ALTER TABLE llm_call ADD COLUMN iteration INTEGER;
        CREATE TABLE script_file (
            path TEXT PRIMARY KEY,
            sha256 TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        """
}
